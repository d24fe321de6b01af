// Writes the golden logs under fixtures/vN with the current format version N
// (the directories of earlier versions are kept as they were written).
//
//     swift run slog-fixture-gen fixtures
//
// Each log comes with a manifest (one line per record: sequence, append
// time, kind, partition, payload length, payload CRC32C, and from version 2
// the event time or "-" for a record without one) that the fixture tests
// compare every record against. The damaged copies come with the outcome
// opening them must have, in EXPECTED.
import Foundation
import SegmentLog

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// The deterministic event time of record `n` of kind `kind`: none for the
/// highest kind, otherwise hours before its append and out of order by up to
/// five minutes.
func eventTime(_ n: Int, kind: UInt8, highest: UInt8) -> Int64? {
    kind == highest ? nil : 1_763_990_000_000_000 + Int64(n) * 1_000_000 - Int64((n * 7919) % 300) * 1_000_000
}

/// The deterministic content of record `n`: text with a varying tail, like a signal.
func content(_ n: Int) -> [UInt8] {
    let size = 40 + (n * 37) % 400
    var text = "{\"n\":\(n),\"note\":\"signal \(n) from fixture generator\",\"fill\":\""
    while text.utf8.count < size - 2 { text += String(UnicodeScalar(UInt8(97 + (n + text.utf8.count) % 26))) }
    text += "\"}"
    return Array(text.utf8)
}

func writeManifest(of directory: String, to path: String) throws {
    let log = try SegmentLog.openReadOnly(directory: directory)
    let reader = log.read()
    var lines: [String] = []
    while let record = try reader.next() {
        lines.append("\(record.sequence) \(record.timestamp) \(record.kind) \(record.partition) \(record.payload.count) \(String(CRC32C.checksum(record.payload), radix: 16)) \(record.eventTime.map(String.init) ?? "-")")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

func copyLog(_ source: String, _ destination: String) throws {
    let manager = FileManager.default
    if manager.fileExists(atPath: destination) { try manager.removeItem(atPath: destination) }
    try manager.copyItem(atPath: source, toPath: destination)
    try? manager.removeItem(atPath: destination + "/LOCK")
}

func segments(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted().map { directory + "/" + $0 }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: slog-fixture-gen FIXTURES_DIRECTORY\n".utf8))
    exit(2)
}
let root = arguments[1] + "/v\(SegmentFormat.version)"
let manager = FileManager.default
if manager.fileExists(atPath: root) { try manager.removeItem(atPath: root) }
try manager.createDirectory(atPath: root, withIntermediateDirectories: true)

// basic: 3 sealed segments and an active one; batches of 1 to 9 records,
// four partitions, kinds 1 to 5, append times one second apart.
let basic = root + "/basic"
var options = LogOptions()
// The committed fixtures were written at LZ4's own default acceleration,
// each batch with a fresh LZ4 table; pinning both keeps regenerated files
// byte-identical.
options.compressionAcceleration = 1
options.reusesCompressionStream = false
let clock = ManualClock(microseconds: 1_764_000_000_000_000)
options.clock = clock
options.segmentMaxBytes = 4096
do {
    let log = try SegmentLog.open(directory: basic, options: options)
    var n = 0
    for batch in 0..<40 {
        let count = batch % 9 + 1
        var records: [AppendRecord] = []
        for _ in 0..<count {
            let kind = UInt8(n % 5 + 1)
            records.append(AppendRecord(kind: kind, partition: "partition-\(n % 4)", payload: content(n), eventTime: eventTime(n, kind: kind, highest: 5)))
            n += 1
        }
        try log.append(records)
        clock.advance(byMicroseconds: 1_000_000)
    }
    try log.close()
}
try? manager.removeItem(atPath: basic + "/LOCK")
// The committed basic log predates the index a clean close writes for the
// active segment; removing it keeps regenerated files byte-identical (and
// the torn-tail copy a state a crash can leave).
try manager.removeItem(atPath: try segments(basic).last!.replacingOccurrences(of: ".seg", with: ".idx"))
try writeManifest(of: basic, to: root + "/basic.manifest")
let files = try segments(basic)
guard files.count >= 3 else { throw FixtureError(description: "expected several segments, got \(files.count)") }

// torn-tail: the active segment cut in the middle of its last batch.
let torn = root + "/torn-tail"
try copyLog(basic, torn)
let active = try segments(torn).last!
let activeSize = try manager.attributesOfItem(atPath: active)[.size] as! Int
let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: active))
try handle.truncate(atOffset: UInt64(activeSize - 7))
try handle.close()

// flipped-bit: one bit flipped inside a batch body of the first (sealed) segment.
let flipped = root + "/flipped-bit"
try copyLog(basic, flipped)
let firstSegment = try segments(flipped).first!
var bytes = try Data(contentsOf: URL(fileURLWithPath: firstSegment))
let flipOffset = 40 + 48 + 10
bytes[flipOffset] ^= 0x10
try bytes.write(to: URL(fileURLWithPath: firstSegment))

// deleted-index: the index file of the second segment removed.
let deleted = root + "/deleted-index"
try copyLog(basic, deleted)
let secondIndex = try segments(deleted)[1].replacingOccurrences(of: ".seg", with: ".idx")
try manager.removeItem(atPath: secondIndex)

/// The offsets where the batches of a segment file end, with the sequence after each.
func batchEnds(of path: String) throws -> [(end: Int, next: UInt64)] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var ends: [(end: Int, next: UInt64)] = []
    var offset = SegmentFormat.segmentHeaderSize
    while offset < bytes.count {
        guard let header = bytes.withUnsafeBytes({ BatchHeader.decode(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) else {
            throw FixtureError(description: "\(path): no batch at \(offset)")
        }
        offset += header.totalLength
        ends.append((offset, header.lastSequence + 1))
    }
    return ends
}

func truncate(_ path: String, to length: Int) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(length))
    try handle.close()
}

func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

// small: a cleanly closed log of four small segments, the last one active
// with the index its clean close wrote; the damaged copies below start from it.
let small = root + "/small"
options.segmentMaxBytes = 1400
do {
    let log = try SegmentLog.open(directory: small, options: options)
    var n = 0
    for batch in 0..<30 {
        var records: [AppendRecord] = []
        for _ in 0..<(batch % 4 + 1) {
            let kind = UInt8(n % 3 + 1)
            records.append(AppendRecord(kind: kind, partition: "p\(n % 3)", payload: Array(content(n).prefix(30 + n % 50)), eventTime: eventTime(n, kind: kind, highest: 3)))
            n += 1
        }
        try log.append(records)
        clock.advance(byMicroseconds: 1_000_000)
    }
    try log.close()
}
try? manager.removeItem(atPath: small + "/LOCK")
try writeManifest(of: small, to: root + "/small.manifest")
let smallSegments = try segments(small)
guard smallSegments.count == 4, manager.fileExists(atPath: smallSegments.last!.replacingOccurrences(of: ".seg", with: ".idx")) else {
    throw FixtureError(description: "expected four segments and a clean-close index, got \(smallSegments)")
}
let smallNext = try batchEnds(of: smallSegments.last!).last!.next

// damaged-active-header: one bit of the active segment's created-at field flipped.
let damagedHeader = root + "/damaged-active-header"
try copyLog(small, damagedHeader)
let headerSegment = try segments(damagedHeader).last!
var headerBytes = try Data(contentsOf: URL(fileURLWithPath: headerSegment))
headerBytes[24] ^= 0x01
try headerBytes.write(to: URL(fileURLWithPath: headerSegment))

// missing-middle-segment: the second segment file deleted, its index kept.
let missingMiddle = root + "/missing-middle-segment"
try copyLog(small, missingMiddle)
let middleSegment = try segments(missingMiddle)[1]
let middleFirst = UInt64(name(middleSegment).prefix(20))!
let afterMiddle = try segments(missingMiddle)[2]
let afterMiddleFirst = UInt64(name(afterMiddle).prefix(20))!
try manager.removeItem(atPath: middleSegment)

// cut-sealed-segment: the second segment (sealed, with its index) cut to half its size.
let cutSealed = root + "/cut-sealed-segment"
try copyLog(small, cutSealed)
let sealedSegment = try segments(cutSealed)[1]
let sealedEnds = try batchEnds(of: sealedSegment)
let sealedHalf = (try manager.attributesOfItem(atPath: sealedSegment)[.size] as! Int) / 2
let sealedKept = sealedEnds.last { $0.end <= sealedHalf }!
try truncate(sealedSegment, to: sealedHalf)

// cut-clean-close: the active segment of the cleanly closed log cut to half
// its size, while its clean-close index still records the whole length.
let cutClean = root + "/cut-clean-close"
try copyLog(small, cutClean)
let cleanSegment = try segments(cutClean).last!
let cleanEnds = try batchEnds(of: cleanSegment)
let cleanHalf = (try manager.attributesOfItem(atPath: cleanSegment)[.size] as! Int) / 2
let cleanKept = cleanEnds.last { $0.end <= cleanHalf }!
try truncate(cleanSegment, to: cleanHalf)

// forged-event-range (version 2): the first segment's index with its first
// block's maximum event time lowered below the block's records and its
// checksum made good again: every parser check passes, so only comparing the
// index with its segment (`verify`) finds it.
let forged = root + "/forged-event-range"
try copyLog(basic, forged)
let forgedIndex = try segments(forged)[0].replacingOccurrences(of: ".seg", with: ".idx")
var indexBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: forgedIndex)))
let kindEntries = Int(indexBytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 88, as: UInt32.self) })
let firstEntry = 144 + 9 * kindEntries
let blockMin = indexBytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: firstEntry + 24, as: Int64.self) }
withUnsafeBytes(of: blockMin.littleEndian) { indexBytes.replaceSubrange(firstEntry + 32..<firstEntry + 40, with: $0) }
let indexCRC = CRC32C.checksum(Array(indexBytes[..<(indexBytes.count - 4)]))
withUnsafeBytes(of: indexCRC.littleEndian) { indexBytes.replaceSubrange(indexBytes.count - 4..<indexBytes.count, with: $0) }
try Data(indexBytes).write(to: URL(fileURLWithPath: forgedIndex))

let expected = """
Format version \(SegmentFormat.version): records of kinds other than the highest carry an event time (the manifests' last column).
basic: opens cleanly; every record matches basic.manifest.
torn-tail: opens; the last batch (cut 7 bytes short) is reported as a torn tail and not returned; every other record matches basic.manifest.
flipped-bit: a writable open refuses with a corruption error naming \(URL(fileURLWithPath: firstSegment).lastPathComponent) at offset 40; a read-only open succeeds and reading the first batch throws that error.
deleted-index: opens; the missing index is rebuilt (read-only: in memory); every record matches basic.manifest.
small: opens cleanly; every record matches small.manifest (sequences 0...\(smallNext - 1), four segments; the active one, \(name(smallSegments.last!)), has the index its clean close wrote).
damaged-active-header: small with one bit of \(name(headerSegment))'s header flipped (byte 24). A writable open refuses with a corruption error naming \(name(headerSegment)) at offset 0 and changes no file; a read-only open lists that damage; a full read throws it once, before the segment's first record, and a reader that keeps reading returns every record of small.manifest.
missing-middle-segment: small without \(name(middleSegment)) (its index is kept). A writable open refuses with a sequence gap naming \(name(afterMiddle)) (expected \(middleFirst), found \(afterMiddleFirst)) and removes nothing; a read-only open lists damage at \(name(afterMiddle)) offset 0 with sequences \(middleFirst)...\(afterMiddleFirst - 1) missing; a full read throws a corruption error naming \(name(afterMiddle)) at offset 0 once, after sequence \(middleFirst - 1), and a reader that keeps reading returns every other record of small.manifest.
cut-sealed-segment: small with the sealed \(name(sealedSegment)) cut to \(sealedHalf) bytes (its index records the whole length). A writable open refuses with a corruption error naming \(name(sealedSegment)) at offset \(sealedKept.end); a read-only open lists that damage with sequences \(sealedKept.next)...\(afterMiddleFirst - 1) missing; a full read throws it once, after sequence \(sealedKept.next - 1), and a reader that keeps reading returns every other record of small.manifest.
cut-clean-close: small with its active segment \(name(cleanSegment)) cut to \(cleanHalf) bytes after the clean close (its index records the whole length, so the cut is corruption, not a torn tail). A writable open refuses with a corruption error naming \(name(cleanSegment)) at offset \(cleanKept.end) and truncates nothing; a read-only open reports no torn tail and lists that damage with sequences \(cleanKept.next)...\(smallNext - 1) missing; a full read returns sequences 0...\(cleanKept.next - 1), then throws it once; a writable open with corruptionPolicy .report opens, keeps the damaged files, and its next append gets sequence \(smallNext).
forged-event-range: basic with \(name(forgedIndex))'s first time entry (index offset \(firstEntry)) claiming its block's event times end at \(blockMin), its checksum made good. Opens cleanly (the index passes every parser check); verify reports the index as not matching its segment, naming \(name(forgedIndex)) at offset \(firstEntry + 24), and repair rebuilds it.

"""
try expected.write(toFile: root + "/EXPECTED", atomically: true, encoding: .utf8)
print("wrote fixtures to \(root)")
