import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `signallog` process that a test steers while it runs: its standard
/// input can be a pseudo-terminal (so it asks its questions as it would a
/// person), the test reads its standard error as it comes, and it
/// can be held at a named kill point (`SIGNALLOG_STOP_AT`, debug builds) and
/// resumed. Synchronisation is by what the process says or by its stop, never
/// by sleeping.
final class ToolProcess {
    let pid: pid_t
    private let errors: Int32
    private let terminal: Int32?
    private let outputPath: String
    private let scratch = TemporaryDirectory("tool")
    private(set) var stderrText = ""
    private var status: Int32?

    /// Starts `signallog arguments`. With `terminal`, standard input is the
    /// slave side of a new pseudo-terminal whose master the test writes to.
    init(_ arguments: [String], terminal: Bool = false, environment: [String: String] = [:]) throws {
        outputPath = scratch.path + "/stdout"
        // Standard error goes through a FIFO rather than a pipe: its read end
        // is opened close-on-exec in one call, so no child another test
        // starts meanwhile can inherit it. Opened (non-blocking) before the
        // spawn, so the child's open for writing does not wait for a reader.
        let errorsPath = scratch.path + "/stderr"
        guard mkfifo(errorsPath, 0o600) == 0 else { throw TestError("mkfifo: errno \(errno)") }
        let errorsFD = open(errorsPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard errorsFD >= 0 else { throw TestError("open \(errorsPath): errno \(errno)") }
        var master: Int32? = nil
        var slavePath: String? = nil
        if terminal {
            let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            // TIOCSPTLCK (unlock the slave) and TIOCGPTN (its number), as
            // unlockpt(3) and ptsname(3) do; Swift's Glibc module lacks both.
            var unlock: Int32 = 0
            var number: UInt32 = 0
            guard fd >= 0, ioctl(fd, UInt(0x4004_5431), &unlock) == 0, ioctl(fd, UInt(0x8004_5430), &number) == 0 else {
                throw TestError("cannot make a pseudo-terminal: errno \(errno)")
            }
            master = fd
            slavePath = "/dev/pts/\(number)"
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let slavePath {
            posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR | O_NOCTTY, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY, 0)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env.removeValue(forKey: "SIGNALLOG_KILL_AT")
        env.removeValue(forKey: "SIGNALLOG_STOP_AT")
        for (key, value) in environment { env[key] = value }
        let argv = ([signallogPath] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, signallogPath, &actions, nil, argv, envp)
        // From here on reads wait for the child's output (and see its end).
        _ = fcntl(errorsFD, F_SETFL, 0)
        guard result == 0 else {
            close(errorsFD)
            if let master { close(master) }
            throw TestError("posix_spawn \(signallogPath): \(String(cString: strerror(result)))")
        }
        pid = child
        errors = errorsFD
        self.terminal = master
    }

    /// Reads standard error until it contains `text` (true) or closes (false).
    func waitForStderr(containing text: String) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !stderrText.contains(text) {
            let n = chunk.withUnsafeMutableBytes { read(errors, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            stderrText += String(decoding: chunk[0..<n], as: UTF8.self)
        }
        return true
    }

    /// Waits until the process stops at its stop point (true) or ends (false).
    func waitForStop() -> Bool {
        var raw: Int32 = 0
        while waitpid(pid, &raw, WUNTRACED) < 0 {
            guard errno == EINTR else { return false }
        }
        if raw & 0xff == 0x7f { return true }  // WIFSTOPPED
        status = raw
        return false
    }

    /// Lets a stopped process go on.
    func resume() { _ = kill(pid, SIGCONT) }

    /// Types `text` at the process's terminal.
    func type(_ text: String) {
        guard let terminal else { return }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(terminal, $0.baseAddress!, $0.count) }
    }

    /// Waits for the process to end; its exit status and everything it printed.
    func finish() -> RunResult {
        while let _ = readMore() {}
        if status == nil {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = raw
        }
        let raw = status!
        let exit = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return RunResult(status: exit, stdout: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "", stderr: stderrText)
    }

    private func readMore() -> Int? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(errors, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            stderrText += String(decoding: chunk[0..<n], as: UTF8.self)
            return n
        }
    }

    deinit {
        if status == nil {
            _ = kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        }
        close(errors)
        if let terminal { close(terminal) }
    }
}
