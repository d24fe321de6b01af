#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-separated lines from a file descriptor in large chunks.
///
/// Memory follows the longest line it hands out, not the input: a line over
/// ``maxLineBytes`` is not held, only counted while it is read past, and
/// handed out as ``Line/tooLong(bytes:)`` with its line number.
///
/// Not safe for concurrent use: `ingest` reads it from its accepting task
/// only (the parse tasks get copies of the lines), which is what its
/// `Sendable` conformance stands for.
final class LineReader: @unchecked Sendable {
    let fd: Int32
    let name: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    /// Where the search for the next line break resumes: the bytes of the
    /// current partial line before it hold none, so a long line arriving in
    /// small reads (a pipe) is scanned once, not once per read.
    private var searched = 0
    /// Bytes of an over-long line read past and dropped so far (0: none).
    private var skipped = 0
    private var eof = false
    private let chunk: Int
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead: Int64 = 0
    private(set) var lineNumber = 0
    /// The longest line handed out with its bytes (not counting the line break).
    let maxLineBytes: Int

    /// One line: its bytes (without the line break and a carriage return
    /// before it), or only its length when it is over the limit.
    enum Line {
        case text(UnsafeRawBufferPointer)
        case tooLong(bytes: Int)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(fd: Int32, name: String, chunk: Int = 1 << 20, maxLineBytes: Int) {
        self.fd = fd
        self.name = name
        self.chunk = chunk
        self.maxLineBytes = maxLineBytes
        buffer = [UInt8](repeating: 0, count: chunk)
    }

    /// Calls `body` with the next line and its number, or returns false at the end.
    func next(_ body: (Line, Int) throws -> Void) throws -> Bool {
        while true {
            if let newline = lineBreak() {
                lineNumber += 1
                let from = start
                start = newline + 1
                searched = start
                var stop = newline
                if stop > from && buffer[stop - 1] == 13 { stop -= 1 }
                try hand(from: from, to: stop, body)
                return true
            }
            searched = end
            if eof {
                guard start < end || skipped > 0 else { return false }
                lineNumber += 1
                let from = start
                start = end
                try hand(from: from, to: end, body)
                return true
            }
            if skipped > 0 || end - start > maxLineBytes {
                // Over the limit with no line break yet: drop what is held
                // and keep counting until the line ends.
                skipped += end - start
                start = 0
                end = 0
                searched = 0
                if buffer.count > chunk { buffer = [UInt8](repeating: 0, count: chunk) }
            } else {
                // Move the partial line to the front and read more.
                if start > 0 {
                    let length = end - start
                    if buffer.count > chunk && length <= chunk / 2 {
                        // After a long line, give the memory back.
                        var smaller = [UInt8](repeating: 0, count: chunk)
                        smaller.withUnsafeMutableBytes { to in
                            buffer.withUnsafeBytes { from in
                                if length > 0 { to.baseAddress!.copyMemory(from: from.baseAddress! + start, byteCount: length) }
                            }
                        }
                        buffer = smaller
                    } else if length > 0 {
                        buffer.withUnsafeMutableBytes { raw in
                            _ = memmove(raw.baseAddress!, raw.baseAddress! + start, length)
                        }
                    }
                    searched -= start
                    end = length
                    start = 0
                }
                if end == buffer.count {
                    // Room for one byte over the limit, which tells an over-long line.
                    let grown = min(buffer.count * 2, maxLineBytes + 1)
                    buffer += [UInt8](repeating: 0, count: max(grown - buffer.count, 1))
                }
            }
            let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "\(name): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { end += n; bytesRead += Int64(n) }
        }
    }

    /// The index of the next line break in the buffer, if it holds one.
    private func lineBreak() -> Int? {
        let from = max(start, searched)
        guard from < end else { return nil }
        return buffer.withUnsafeBytes { raw in
            memchr(raw.baseAddress! + from, 10, end - from).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
        }
    }

    /// Hands `buffer[from..<to]` to `body` as a line, or its length when the
    /// line (with any part of it already skipped) is over the limit.
    private func hand(from: Int, to: Int, _ body: (Line, Int) throws -> Void) throws {
        let length = skipped + to - from
        if skipped > 0 || length > maxLineBytes {
            skipped = 0
            try body(.tooLong(bytes: length), lineNumber)
        } else {
            try buffer.withUnsafeBytes { try body(.text(UnsafeRawBufferPointer(rebasing: $0[from..<to])), lineNumber) }
        }
    }
}
