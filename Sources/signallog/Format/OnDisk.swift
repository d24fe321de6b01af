#if canImport(Glibc)
import Glibc
#endif
import SegmentLog

/// The on-disk format of a SignalLog log (docs/format.md) as `verify` and
/// `repair` use it: the engine's own format definitions, so the tool and the
/// engine can never disagree about what a valid file is.
enum OnDisk {
    static let segmentMagic = SegmentFormat.segmentMagic
    static let indexMagic = SegmentFormat.indexMagic
    static let batchMagic = SegmentFormat.batchMagic
    static let version = SegmentFormat.version
    static let segmentHeaderSize = SegmentFormat.segmentHeaderSize
    static let batchHeaderSize = SegmentFormat.batchHeaderSize
    static let recordHeaderSize = SegmentFormat.recordHeaderSize
    /// The engine's default limits.
    static let maxBatchBytes = LogLimits().maxBatchBytes
    static let maxIndexBytes = LogLimits().maxIndexBytes

    static func segmentName(_ base: UInt64) -> String { SegmentFormat.segmentName(base) }
    static func indexName(_ base: UInt64) -> String { SegmentFormat.indexName(base) }

    /// The base sequence in `NNNNNNNNNNNNNNNNNNNN.suffix`, or nil.
    static func base(of name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        return SegmentFormat.parseBase(name.dropLast(suffix.count))
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { CRC32C.checksum(bytes) }
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
        /// Said instead of the errno text when there is no system error.
        var reason: String? = nil
        var description: String { "\(operation) \(path): \(reason ?? String(cString: strerror(code)))" }
    }

    init(path: String, writable: Bool = false) throws(Failure) {
        self.path = path
        // O_NONBLOCK so that a FIFO in a segment's place cannot hang the open;
        // anything but a regular file is then refused.
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw Failure(path: path, operation: "cannot open", code: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(fd)
            throw Failure(path: path, operation: "cannot read", code: EINVAL,
                          reason: "\(PosixFileSystem.describe(fileType: info.st_mode & S_IFMT)), not a regular file")
        }
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

/// The 48-byte header in front of every batch: the engine's own reading of it.
typealias BatchFields = BatchHeader

extension BatchHeader {
    /// Nil when the magic is wrong.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> BatchHeader? { decode(bytes) }

    /// Why these fields cannot describe a valid batch of at most `available`
    /// bytes under the engine's default limits.
    func implausibility(available: Int64) -> String? { implausibility(available: available, limits: LogLimits()) }
}

/// One record of a checked batch, viewed in place.
typealias RecordSlice = RecordView

extension RecordView {
    var record: LogRecord { materialize() }
}

enum BatchCheck {
    /// Checks a whole batch (header and body in `batch`): checksum, decompression
    /// to exactly the recorded length, every record's bounds and timestamps —
    /// the engine's checks. Calls `visit` for each record only once the whole
    /// batch is known good.
    static func check(
        _ batch: UnsafeRawBufferPointer, _ header: BatchHeader, scratch: GrowableBuffer,
        visit: (RecordView) -> Void
    ) -> String? {
        let computed = BatchHeader.computeChecksum(UnsafeRawBufferPointer(rebasing: batch[0..<header.totalLength]))
        guard computed == header.checksum else {
            return "batch checksum 0x\(hex(header.checksum)) does not match computed 0x\(hex(computed))"
        }
        switch BatchDecoder.records(of: batch, header: header, scratch: scratch) {
        case .failure(let failure):
            return failure.reason
        case .success(let raw):
            BatchDecoder.forEachRecord(in: raw, header: header, visit)
            return nil
        }
    }
}
