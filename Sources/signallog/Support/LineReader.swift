#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-separated lines from a file descriptor in large chunks.
final class LineReader {
    let fd: Int32
    let name: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var eof = false
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead: Int64 = 0
    private(set) var lineNumber = 0
    let maxLineBytes: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(fd: Int32, name: String, chunk: Int = 1 << 20, maxLineBytes: Int = 64 << 20) {
        self.fd = fd
        self.name = name
        self.maxLineBytes = maxLineBytes
        buffer = [UInt8](repeating: 0, count: chunk)
    }

    /// Calls `body` with the next line (without its newline), or returns false at the end.
    func next(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws -> Bool {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 10) {
                lineNumber += 1
                let from = start
                start = newline + 1
                var stop = newline
                if stop > from && buffer[stop - 1] == 13 { stop -= 1 }
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[from..<stop]), lineNumber) }
                return true
            }
            if eof {
                guard start < end else { return false }
                lineNumber += 1
                let from = start
                start = end
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[from..<end]), lineNumber) }
                return true
            }
            // Move the partial line to the front and read more.
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    if end > start { memmove(raw.baseAddress!, raw.baseAddress! + start, end - start) }
                }
                end -= start
                start = 0
            }
            if end == buffer.count {
                guard buffer.count < maxLineBytes else {
                    throw Failure(description: "\(name): line \(lineNumber + 1) is longer than \(maxLineBytes) bytes")
                }
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
            let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "\(name): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { end += n; bytesRead += Int64(n) }
        }
    }
}
