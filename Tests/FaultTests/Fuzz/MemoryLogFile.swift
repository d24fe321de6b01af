#if canImport(SegmentLog)
@testable import SegmentLog
#endif

/// A read-only ``LogFile`` over bytes in memory: the fuzz targets feed the
/// engine's readers without touching the disk.
///
/// Shared by the libFuzzer builds (tools/fuzz/build.sh compiles this file
/// into one module with the engine's sources) and the corpus replay test.
final class MemoryLogFile: LogFile {
    let path: String
    let bytes: [UInt8]

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int {
        guard offset >= 0, offset < Int64(bytes.count), buffer.count > 0 else { return 0 }
        let count = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: count) }
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) { throw .readOnly(path: path) }
    func sync() throws(SegmentLogError) {}
    func truncate(to length: Int64) throws(SegmentLogError) { throw .readOnly(path: path) }
    func size() throws(SegmentLogError) -> Int64 { Int64(bytes.count) }
}
