#if canImport(Glibc)
import Glibc
#endif

/// Reports to the parent process through standard output, one line per
/// event, with a single unbuffered `write` each: a line the parent reads was
/// written before the child did anything that followed it, so an
/// acknowledgement on the pipe is an acknowledgement the log gave.
enum ParentPipe {
    static func send(_ line: String) {
        var text = line
        text.append("\n")
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = write(1, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    exit(3)
                }
                done += n
            }
        }
    }

    /// Prints `message` to standard error and exits with status 2.
    static func fail(_ message: String) -> Never {
        var text = "slog-crash-child: " + message + "\n"
        text.withUTF8 { _ = write(2, $0.baseAddress!, $0.count) }
        exit(2)
    }
}
