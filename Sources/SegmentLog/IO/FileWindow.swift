/// A sliding read-ahead window over a file, for sequential scans: one large
/// `pread` serves many small batches.
struct FileWindow {
    let file: any LogFile
    /// The scan never looks past this offset (the file's size when the scan began).
    let end: Int64
    private let buffer = GrowableBuffer(capacity: 1 << 20)
    private var start: Int64 = 0
    private let chunk: Int

    init(file: any LogFile, end: Int64, chunk: Int = 1 << 20) {
        self.file = file
        self.end = end
        self.chunk = chunk
    }

    /// The `count` bytes at `offset`, or nil if they are not all in the file.
    /// The view is valid until the next call. `count` must already be bounded
    /// by the caller's limits.
    mutating func bytes(at offset: Int64, count: Int) throws(SegmentLogError) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= end, Int64(count) <= end - offset else { return nil }
        if offset >= start, offset + Int64(count) <= start + Int64(buffer.count) {
            return UnsafeRawBufferPointer(start: buffer.base + Int(offset - start), count: count)
        }
        let want = Int(min(Int64(max(count, chunk)), end - offset))
        buffer.count = 0
        buffer.reserve(want)
        let got = try file.read(into: UnsafeMutableRawBufferPointer(start: buffer.base, count: want), at: offset)
        buffer.count = got
        start = offset
        guard got >= count else { return nil }
        return UnsafeRawBufferPointer(start: buffer.base, count: count)
    }
}
