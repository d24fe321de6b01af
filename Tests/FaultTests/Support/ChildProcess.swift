import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `slog-crash-child` process whose standard output is a pipe to the test:
/// the test reads its report lines as they come, SIGKILLs it whenever it
/// likes and reaps it with `waitpid` (waiting for a death, not sleeping).
final class ChildProcess {
    let pid: pid_t
    private let output: Int32
    private let input: Int32
    private var pending: [UInt8] = []
    private var reaped: Int32?

    /// The child binary, built beside the test bundle (`SLOG_CRASH_CHILD` overrides).
    static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["SLOG_CRASH_CHILD"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("slog-crash-child").path
    }()

    /// Starts the child with `arguments`, adding `environment` to the test's own.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        var outPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [0, 0]
        // Made close-on-exec under the spawn gate, so no other child inherits them.
        let piped = SpawnGate.spawning { () -> Bool in
            guard pipe(&outPipe) == 0 else { return false }
            guard pipe(&inPipe) == 0 else { return false }
            for fd in outPipe + inPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard piped else { throw ChildError.spawn("pipe: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        posix_spawn_file_actions_addclose(&actions, inPipe[1])
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SIGNALLOG_KILL_AT")
        for (key, value) in environment { env[key] = value }
        let argv = ([Self.executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        var started: [UInt8] = []
        let result = SpawnGate.spawning { () -> Int32 in
            let result = posix_spawn(&child, Self.executable, &actions, nil, argv, envp)
            close(outPipe[1])
            close(inPipe[0])
            // The child's first line says it is running its own program, so its
            // copies of this process's descriptors are closed: only then may
            // another test open (and lock) a log.
            guard result == 0 else { return result }
            var byte: UInt8 = 0
            while read(outPipe[0], &byte, 1) == 1 {
                started.append(byte)
                if byte == 10 { break }
            }
            return result
        }
        guard result == 0 else {
            close(outPipe[0])
            close(inPipe[1])
            throw ChildError.spawn("posix_spawn \(Self.executable): \(String(cString: strerror(result)))")
        }
        pid = child
        if started != Array("S\n".utf8) { pending = started }
        output = outPipe[0]
        input = inPipe[1]
    }

    /// The next line the child wrote, or nil once it closed its output (exited or died).
    func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    /// Sends SIGKILL (the child may already be dead; that is fine).
    func kill() { _ = Glibc.kill(pid, SIGKILL) }

    /// Waits for the child to end and returns its raw wait status.
    @discardableResult
    func wait() -> Int32 {
        if let reaped { return reaped }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = status
        return status
    }

    /// True if the child ended by SIGKILL (from the test or from a kill point).
    var wasKilled: Bool {
        let status = wait()
        return status & 0x7f == SIGKILL
    }

    /// The exit code if the child exited normally.
    var exitCode: Int32? {
        let status = wait()
        return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// Every remaining line up to end of file.
    func drain() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        return lines
    }

    deinit {
        if reaped == nil {
            kill()
            wait()
        }
        close(output)
        close(input)
    }
}

enum ChildError: Error, CustomStringConvertible {
    case spawn(String)
    var description: String {
        switch self {
        case .spawn(let text): return "cannot start slog-crash-child: \(text)"
        }
    }
}
