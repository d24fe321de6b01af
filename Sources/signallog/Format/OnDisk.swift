#if canImport(Glibc)
import Glibc
#endif
import CLZ4
import SegmentLog

/// The on-disk format of a SignalLog log, read independently of the engine
/// (docs/format.md), so `verify` and `repair` check the files against the
/// format itself rather than trusting the code that wrote them.
enum OnDisk {
    static let segmentMagic: UInt64 = magic("SIGLOGSG")
    static let indexMagic: UInt64 = magic("SIGLOGIX")
    static let batchMagic: UInt32 = UInt32(truncatingIfNeeded: magic("SLGB"))
    static let version: UInt16 = 1
    static let segmentHeaderSize = 40
    static let batchHeaderSize = 48
    static let recordHeaderSize = 12
    static let codecNone: UInt8 = 0
    static let codecLZ4: UInt8 = 1
    /// The engine's default limits (LogLimits).
    static let maxBatchBytes = 64 << 20
    static let maxIndexBytes = 256 << 20

    static func magic(_ text: String) -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in text.utf8.prefix(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func segmentName(_ base: UInt64) -> String { padded(base) + ".seg" }
    static func indexName(_ base: UInt64) -> String { padded(base) + ".idx" }

    /// The base sequence in `NNNNNNNNNNNNNNNNNNNN.suffix`, or nil.
    static func base(of name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { CRC32C.checksum(bytes) }

    static func lz4Bound(_ count: Int) -> Int { Int(LZ4_compressBound(Int32(clamping: count))) }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func le<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count)
        return T(littleEndian: baseAddress!.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension Array where Element == UInt8 {
    mutating func putLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// A file opened read-only (or read-write for repair), read with `pread`.
final class RawFile {
    let path: String
    let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        var path: String
        var operation: String
        var code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    init(path: String, writable: Bool = false) throws(Failure) {
        self.path = path
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw Failure(path: path, operation: "cannot open", code: errno) }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    func size() -> Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int64, count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        let failure: Int32? = bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 { if errno == EINTR { continue }; return errno }
                if n == 0 { break }
                done += n
            }
            return nil
        }
        if let failure { throw Failure(path: path, operation: "cannot read", code: failure) }
        if done < count { bytes.removeLast(count - done) }
        return bytes
    }
}

/// A read-ahead window over a file for sequential scans.
struct ScanWindow {
    let file: RawFile
    let end: Int64
    private var buffer: [UInt8] = []
    private var start: Int64 = 0
    private let chunk = 4 << 20

    init(file: RawFile, end: Int64) {
        self.file = file
        self.end = end
    }

    /// Calls `body` with the `count` bytes at `offset`, or returns nil if the file does not hold them all.
    mutating func with<R>(_ offset: Int64, _ count: Int, _ body: (UnsafeRawBufferPointer) -> R) throws(RawFile.Failure) -> R? {
        guard offset >= 0, count >= 0, offset <= end, Int64(count) <= end - offset else { return nil }
        if !(offset >= start && offset + Int64(count) <= start + Int64(buffer.count)) {
            let want = Int(min(Int64(Swift.max(count, chunk)), end - offset))
            buffer = try file.read(at: offset, count: want)
            start = offset
            guard buffer.count >= count else { return nil }
        }
        let from = Int(offset - start)
        return buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[from..<from + count])) }
    }
}

/// The 40-byte segment header.
struct SegmentHeaderFields: Equatable {
    var baseSequence: UInt64
    var createdAt: Int64

    /// The fields, or why these bytes are not a segment header.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<SegmentHeaderFields, Problem> {
        guard bytes.count >= OnDisk.segmentHeaderSize else {
            return .failure(Problem(0, "segment header is \(bytes.count) bytes, expected \(OnDisk.segmentHeaderSize)"))
        }
        let magic = bytes.le(UInt64.self, 0)
        guard magic == OnDisk.segmentMagic else {
            return .failure(Problem(0, "not a segment file (magic 0x\(String(magic, radix: 16)))"))
        }
        let stored = bytes.le(UInt32.self, 32)
        let computed = OnDisk.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<32]))
        guard stored == computed else {
            return .failure(Problem(32, "segment header checksum 0x\(hex(stored)) does not match computed 0x\(hex(computed))"))
        }
        let version = bytes.le(UInt16.self, 8)
        guard version == OnDisk.version else {
            return .failure(Problem(8, "format version \(version) is not supported (this build reads version \(OnDisk.version))", unsupported: true))
        }
        guard bytes.le(UInt32.self, 36) == 0 else {
            return .failure(Problem(36, "reserved segment header bytes are not zero"))
        }
        return .success(SegmentHeaderFields(baseSequence: bytes.le(UInt64.self, 16), createdAt: bytes.le(Int64.self, 24)))
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.putLE(OnDisk.segmentMagic)
        out.putLE(OnDisk.version)
        out.putLE(UInt16(0))
        out.putLE(UInt32(0))
        out.putLE(baseSequence)
        out.putLE(createdAt)
        let crc = out.withUnsafeBytes { OnDisk.checksum($0) }
        out.putLE(crc)
        out.putLE(UInt32(0))
        return out
    }

    struct Problem: Error {
        var offset: Int64
        var reason: String
        var unsupported = false
        init(_ offset: Int64, _ reason: String, unsupported: Bool = false) {
            self.offset = offset
            self.reason = reason
            self.unsupported = unsupported
        }
    }
}

func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

/// The 48-byte header in front of every batch.
struct BatchFields: Equatable {
    var checksum: UInt32
    var storedLength: UInt32
    var rawLength: UInt32
    var firstSequence: UInt64
    var recordCount: UInt32
    var codec: UInt8
    var minTimestamp: Int64
    var maxTimestamp: Int64

    var totalLength: Int { OnDisk.batchHeaderSize + Int(storedLength) }
    var lastSequence: UInt64 { firstSequence &+ UInt64(recordCount) &- 1 }

    /// Nil when the magic is wrong.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> BatchFields? {
        guard bytes.count >= OnDisk.batchHeaderSize, bytes.le(UInt32.self, 0) == OnDisk.batchMagic else { return nil }
        return BatchFields(
            checksum: bytes.le(UInt32.self, 4), storedLength: bytes.le(UInt32.self, 8), rawLength: bytes.le(UInt32.self, 12),
            firstSequence: bytes.le(UInt64.self, 16), recordCount: bytes.le(UInt32.self, 24), codec: bytes[28],
            minTimestamp: bytes.le(Int64.self, 32), maxTimestamp: bytes.le(Int64.self, 40))
    }

    /// Why these fields cannot describe a valid batch of at most `available` bytes.
    func implausibility(available: Int64) -> String? {
        if recordCount == 0 { return "batch has zero records" }
        if Int(rawLength) > OnDisk.maxBatchBytes { return "uncompressed length \(rawLength) exceeds the limit of \(OnDisk.maxBatchBytes)" }
        if Int64(totalLength) > available { return "batch length \(totalLength) runs past the end of the file (\(available) bytes left)" }
        if Int(recordCount) > Int(rawLength) / OnDisk.recordHeaderSize { return "record count \(recordCount) cannot fit in \(rawLength) bytes" }
        switch codec {
        case OnDisk.codecNone:
            if storedLength != rawLength { return "uncompressed batch stores \(storedLength) bytes for \(rawLength)" }
        case OnDisk.codecLZ4:
            if Int(storedLength) > OnDisk.lz4Bound(Int(rawLength)) { return "compressed length \(storedLength) is more than LZ4 can produce for \(rawLength) bytes" }
        default:
            return "unknown codec \(codec)"
        }
        if maxTimestamp < minTimestamp { return "timestamps go backwards inside the batch (\(minTimestamp) > \(maxTimestamp))" }
        if firstSequence > UInt64.max - UInt64(recordCount) { return "sequence \(firstSequence) overflows" }
        return nil
    }
}

/// One record of a checked batch, viewed in place.
struct RecordSlice {
    var sequence: UInt64
    var timestamp: Int64
    var kind: UInt8
    var partition: UnsafeRawBufferPointer
    var payload: UnsafeRawBufferPointer

    var record: LogRecord {
        LogRecord(sequence: sequence, timestamp: timestamp, kind: kind,
                  partition: String(decoding: partition, as: UTF8.self), payload: [UInt8](payload))
    }
}

enum BatchCheck {
    /// Checks a whole batch (header and body in `batch`): checksum, decompression
    /// to exactly the recorded length, every record's bounds and timestamps.
    /// Calls `visit` for each record only once the whole batch is known good.
    static func check(
        _ batch: UnsafeRawBufferPointer, _ header: BatchFields, scratch: inout [UInt8],
        visit: (RecordSlice) -> Void
    ) -> String? {
        let computed = OnDisk.checksum(UnsafeRawBufferPointer(rebasing: batch[8..<header.totalLength]))
        guard computed == header.checksum else {
            return "batch checksum 0x\(hex(header.checksum)) does not match computed 0x\(hex(computed))"
        }
        let body = UnsafeRawBufferPointer(rebasing: batch[OnDisk.batchHeaderSize..<header.totalLength])
        let rawLength = Int(header.rawLength)
        func walk(_ raw: UnsafeRawBufferPointer) -> String? {
            var offset = 0
            for i in 0..<Int(header.recordCount) {
                guard raw.count - offset >= OnDisk.recordHeaderSize else { return "record \(i) header runs past the batch body" }
                let keyLength = Int(raw.le(UInt16.self, offset + 2))
                let payloadLength = Int(raw.le(UInt32.self, offset + 4))
                let delta = Int64(raw.le(UInt32.self, offset + 8))
                guard header.minTimestamp + delta <= header.maxTimestamp else { return "record \(i) timestamp lies outside the batch's range" }
                let end = offset + OnDisk.recordHeaderSize + keyLength + payloadLength
                guard end <= raw.count else { return "record \(i) (\(payloadLength) bytes) runs past the batch body" }
                offset = end
            }
            guard offset == raw.count else { return "batch body has \(raw.count - offset) bytes after its last record" }
            offset = 0
            for i in 0..<UInt64(header.recordCount) {
                let keyLength = Int(raw.le(UInt16.self, offset + 2))
                let payloadLength = Int(raw.le(UInt32.self, offset + 4))
                let keyStart = offset + OnDisk.recordHeaderSize
                visit(RecordSlice(
                    sequence: header.firstSequence + i,
                    timestamp: header.minTimestamp + Int64(raw.le(UInt32.self, offset + 8)),
                    kind: raw[offset],
                    partition: UnsafeRawBufferPointer(rebasing: raw[keyStart..<keyStart + keyLength]),
                    payload: UnsafeRawBufferPointer(rebasing: raw[keyStart + keyLength..<keyStart + keyLength + payloadLength])))
                offset = keyStart + keyLength + payloadLength
            }
            return nil
        }
        if header.codec == OnDisk.codecLZ4 {
            if scratch.count < rawLength { scratch = [UInt8](repeating: 0, count: rawLength) }
            return scratch.withUnsafeMutableBytes { destination -> String? in
                let produced: Int32
                if rawLength == 0 {
                    produced = body.count == 1 && body[0] == 0 ? 0 : -1
                } else {
                    produced = LZ4_decompress_safe(
                        body.baseAddress!.assumingMemoryBound(to: CChar.self),
                        destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                        Int32(body.count), Int32(rawLength))
                }
                guard produced >= 0, Int(produced) == rawLength else {
                    return "LZ4 body does not decompress to exactly \(rawLength) bytes"
                }
                return walk(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(destination)[0..<rawLength]))
            }
        }
        return walk(body)
    }
}
