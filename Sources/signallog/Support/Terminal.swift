#if canImport(Glibc)
import Glibc
#endif

/// Facts about the terminal the tool writes to: whether stdout and stderr are
/// terminals, how wide they are, and whether colour is wanted.
///
/// Colour is used only when the stream is a terminal, `--no-color` was not
/// given and `NO_COLOR` is unset or empty (https://no-color.org).
enum Terminal {
    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    static var stdoutIsTTY: Bool { isTTY(STDOUT_FILENO) }
    static var stderrIsTTY: Bool { isTTY(STDERR_FILENO) }
    static var stdinIsTTY: Bool { isTTY(STDIN_FILENO) }

    /// Columns of the terminal on `fd` (TIOCGWINSZ), else `COLUMNS`, else 80.
    static func width(_ fd: Int32 = STDOUT_FILENO) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = environment("COLUMNS"), let columns = Int(text), columns > 0 { return columns }
        return 80
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Whether output on `fd` may be coloured.
    static func colorAllowed(fd: Int32, noColorFlag: Bool) -> Bool {
        if noColorFlag { return false }
        if let value = environment("NO_COLOR"), !value.isEmpty { return false }
        if environment("TERM") == "dumb" { return false }
        return isTTY(fd)
    }
}

/// ANSI styling that collapses to plain text when colour is off.
struct Style: Sendable {
    let enabled: Bool

    static let plain = Style(enabled: false)

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { wrap(text, "1") }
    func dim(_ text: String) -> String { wrap(text, "2") }
    func red(_ text: String) -> String { wrap(text, "31") }
    func green(_ text: String) -> String { wrap(text, "32") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func blue(_ text: String) -> String { wrap(text, "34") }
    func magenta(_ text: String) -> String { wrap(text, "35") }
    func cyan(_ text: String) -> String { wrap(text, "36") }
}

/// Text written to stderr at once (diagnostics, prompts, progress).
enum StandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                done += n
            }
        }
    }

    static func line(_ text: String) { write(text + "\n") }
}

/// Unbuffered stdout for progress-style narration (the demo).
enum StandardOutput {
    static func line(_ text: String) {
        let out = OutputBuffer(fd: STDOUT_FILENO)
        out.line(text)
        out.flush()
    }
}

/// Buffered stdout: records are rendered into one buffer and written in
/// large chunks, so printing a million records costs a few hundred writes.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let threshold: Int
    private let fd: Int32

    init(fd: Int32 = STDOUT_FILENO, threshold: Int = 1 << 16) {
        self.fd = fd
        self.threshold = threshold
        bytes.reserveCapacity(threshold + 4096)
    }

    func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= threshold { flush() }
    }

    func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0x0A)
        if bytes.count >= threshold { flush() }
    }

    func append(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
        if bytes.count >= threshold { flush() }
    }

    /// Appends through a closure that writes straight into the buffer.
    func withBuffer(_ body: (inout [UInt8]) -> Void) {
        body(&bytes)
        if bytes.count >= threshold { flush() }
    }

    func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    // The reader went away (EPIPE with SIGPIPE ignored): stop quietly, like `head` expects.
                    exit(errno == EPIPE ? 0 : 1)
                }
                done += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
