// Writes the golden logs under fixtures/ with the current format version.
//
//     swift run slog-fixture-gen fixtures
//
// Each log comes with a manifest (one line per record: sequence, append
// time, kind, partition, payload length, payload CRC32C) that the fixture
// tests compare every record against. The damaged copies come with the
// outcome opening them must have, in EXPECTED.
import Foundation
import SegmentLog

struct FixtureError: Error, CustomStringConvertible {
    var description: String
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
        lines.append("\(record.sequence) \(record.timestamp) \(record.kind) \(record.partition) \(record.payload.count) \(String(CRC32C.checksum(record.payload), radix: 16))")
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
let root = arguments[1] + "/v1"
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
            records.append(AppendRecord(kind: UInt8(n % 5 + 1), partition: "partition-\(n % 4)", payload: content(n)))
            n += 1
        }
        try log.append(records)
        clock.advance(byMicroseconds: 1_000_000)
    }
    try log.close()
}
try? manager.removeItem(atPath: basic + "/LOCK")
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

let expected = """
basic: opens cleanly; every record matches basic.manifest.
torn-tail: opens; the last batch (cut 7 bytes short) is reported as a torn tail and not returned; every other record matches basic.manifest.
flipped-bit: a writable open refuses with a corruption error naming \(URL(fileURLWithPath: firstSegment).lastPathComponent) at offset 40; a read-only open succeeds and reading the first batch throws that error.
deleted-index: opens; the missing index is rebuilt (read-only: in memory); every record matches basic.manifest.

"""
try expected.write(toFile: root + "/EXPECTED", atomically: true, encoding: .utf8)
print("wrote fixtures to \(root)")
