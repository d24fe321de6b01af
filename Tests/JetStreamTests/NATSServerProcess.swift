import Foundation
import Synchronization
import SignalLogJetStream

/// A real `nats-server -js` on a free loopback port, with its store in a
/// temporary directory, for the duration of a test. ``start()`` returns once
/// the server has logged that it is ready and a client connection has been
/// accepted; ``kill()`` and ``start()`` again restart it on the same port
/// and store. The process is killed when the value is dropped.
final class NATSServerProcess: @unchecked Sendable {
    let port: Int
    let storeDirectory: String
    let extraArguments: [String]
    /// Credentials the readiness check connects with (for servers started with `--auth` or `--user`).
    let clientAuth: NATSAuth
    private var process: Process?
    private let log = LockedText()
    private let owned: TemporaryDirectory?

    var url: String { "nats://127.0.0.1:\(port)" }
    var address: NATSServerAddress { NATSServerAddress(host: "127.0.0.1", port: port) }

    init(port: Int? = nil, storeDirectory: String? = nil, extraArguments: [String] = [], clientAuth: NATSAuth = .none) throws {
        self.clientAuth = clientAuth
        self.port = try port ?? freeLoopbackPort()
        if let storeDirectory {
            self.storeDirectory = storeDirectory
            owned = nil
        } else {
            let temporary = TemporaryDirectory("nats")
            self.storeDirectory = temporary.path
            owned = temporary
        }
        self.extraArguments = extraArguments
    }

    /// Starts the server and waits until it accepts a client.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDirectory] + extraArguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        log.set("")
        // A semaphore per start: the last process's end of output must not count.
        let ready = DispatchSemaphore(value: 0), log = self.log
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                ready.signal()
                return
            }
            let text = String(decoding: data, as: UTF8.self)
            let becameReady = log.append(text, watchingFor: "Server is ready")
            if becameReady { ready.signal() }
        }
        try process.run()
        self.process = process
        // The log line, or the end of the output when the process exits.
        guard ready.wait(timeout: .now() + 30) == .success, process.isRunning else {
            throw TestError("nats-server on port \(port) did not start:\n\(output)")
        }
        // Then a client connection, the proof that it accepts them.
        var options = NATSOptions.forTests([address])
        options.reconnects = false
        options.auth = clientAuth
        let client = try await NATSClient.connect(options)
        await client.close()
    }

    /// Everything the server has logged since its last start.
    var output: String { log.text }

    /// SIGKILLs the server and waits for it to exit.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { kill() }

    static let executable: String = {
        for candidate in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return "nats-server"
    }()
}

/// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's
/// pick for a socket bound to port 0).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestError("bind() failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestError("getsockname() failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory, removed when dropped.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    init(_ name: String = "js") {
        path = FileManager.default.temporaryDirectory.path + "/signallog-\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func child(_ name: String = "log") -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Text appended from another thread (the server's output).
final class LockedText: Sendable {
    private let value = Mutex("")
    var text: String { value.withLock { $0 } }
    func set(_ text: String) { value.withLock { $0 = text } }
    /// Appends `text`; true when `marker` appears for the first time.
    func append(_ text: String, watchingFor marker: String) -> Bool {
        value.withLock { all in
            let before = all.contains(marker)
            all += text
            return !before && all.contains(marker)
        }
    }
}
