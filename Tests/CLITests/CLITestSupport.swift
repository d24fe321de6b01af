import Foundation
import TestSupport
import SegmentLog
import SignalLog
import Testing

/// The built `signallog` executable, next to the test bundle.
let signallogPath = BuiltExecutable.path("signallog")

/// The repository's fixtures directory.
let fixturesPath: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures").path

/// What one run of the tool produced.
struct RunResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// The stdout parsed as JSON.
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }

    /// Each stdout line parsed as a JSON object.
    func ndjson() throws -> [[String: Any]] {
        try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { throw TestError("not an object: \(line)") }
            return object
        }
    }

    var description: String { "status \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the tool as a user would: a child process, real files, captured
/// output. It is killed (status 137) if it runs past `deadline` seconds, so a
/// hang fails its test instead of stopping the suite.
@discardableResult
func signallog(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], deadline: Int = 600) throws -> RunResult {
    let scratch = TemporaryDirectory("run")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["-s", "KILL", String(deadline), signallogPath] + arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "NO_COLOR")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let outPath = scratch.path + "/stdout", errPath = scratch.path + "/stderr"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    if let stdin {
        let inPath = scratch.path + "/stdin"
        try stdin.write(toFile: inPath, atomically: true, encoding: .utf8)
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    return RunResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// A fresh directory per test, removed afterwards.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    init(_ name: String = "cli") {
        path = FileManager.default.temporaryDirectory.path + "/signallog-\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func child(_ name: String = "log") -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A copy of a fixture log (they must never be modified in place).
func copyFixture(_ name: String, into directory: TemporaryDirectory) throws -> String {
    let destination = directory.child(name)
    try FileManager.default.copyItem(atPath: fixturesPath + "/v1/" + name, toPath: destination)
    return destination
}

func fileNames(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

/// Every file of a directory with its contents, to prove a command changed nothing.
func snapshot(_ directory: String) -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    for name in fileNames(directory) { out[name] = fileBytes(directory + "/" + name) }
    return out
}

/// The manifest of a fixture: sequence, append time, kind, partition per record.
struct ManifestEntry {
    var sequence: UInt64
    var timestamp: Int64
    var kind: UInt8
    var partition: String
}

func manifest(_ name: String) throws -> [ManifestEntry] {
    let text = try String(contentsOfFile: fixturesPath + "/v1/\(name).manifest", encoding: .utf8)
    return text.split(separator: "\n").map { line in
        let fields = line.split(separator: " ")
        return ManifestEntry(sequence: UInt64(fields[0])!, timestamp: Int64(fields[1])!, kind: UInt8(fields[2])!, partition: String(fields[3]))
    }
}

/// A storage-level log: `count` records over `partitions` partitions, one
/// batch per `batch` records, append times one second apart per batch from `start`.
@discardableResult
func makeStorageLog(_ path: String, count: Int, partitions: Int = 4, batch: Int = 10, segmentMaxBytes: Int64? = nil,
                    start: Int64 = 1_700_000_000_000_000, step: Int64 = 1_000_000) throws -> SegmentLog {
    var options = LogOptions()
    let clock = ManualClock(microseconds: start)
    options.clock = clock
    if let segmentMaxBytes { options.segmentMaxBytes = segmentMaxBytes }
    let log = try SegmentLog.open(directory: path, options: options)
    var n = 0
    while n < count {
        var records: [AppendRecord] = []
        for _ in 0..<min(batch, count - n) {
            records.append(AppendRecord(kind: UInt8(7), partition: "p\(n % partitions)", payload: Array("record \(n) payload".utf8)))
            n += 1
        }
        try log.append(records)
        clock.advance(byMicroseconds: step)
    }
    return log
}

/// A processing-layer log written through a real node: `signals` alert
/// signals over 3 sources, plus one payment whose handler always fails
/// (dead-lettered), one signal of an unknown type, and one correlated
/// report that fails once and then succeeds.
struct SignalLogFixture {
    var directory: String
    var failedPaymentID: String
    var unknownTypeID: String
    var correlationID: String
    var alertIDs: [String]
}

func makeSignalLog(_ directory: String, signals: Int = 30, segmentMaxBytes: Int64? = nil) async throws -> SignalLogFixture {
    var options = SignalNodeOptions()
    options.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))
    if let segmentMaxBytes { options.log.segmentMaxBytes = segmentMaxBytes }
    options.logger.logLevel = .critical
    let failedOnce = FailOnce()
    let node = try SignalNode.open(nodeID: "test-node", directory: directory, options: options, handlers: [
        "alert": { _ in },
        "payment": { _ in throw TestError("gateway down") },
        "report": { signal in if failedOnce.first(signal.id) { throw TestError("renderer crashed") } },
    ])
    var ids: [String] = []
    for i in 0..<signals {
        let signal = Signal(content: .text("cpu at \(50 + i)% on host-\(i % 3)"), type: "alert", urgency: 0.5, sourceID: "host-\(i % 3)")
        ids.append(signal.id)
        _ = try node.receive(signal)
    }
    let payment = Signal(content: .text("charge 42 EUR"), type: "payment", urgency: 0.9, sourceID: "shop")
    _ = try node.receive(payment)
    let fax = Signal(content: .text("incoming fax"), type: "fax", urgency: 0.1, sourceID: "pbx")
    _ = try node.receive(fax)
    let report = Signal(content: .json(.object(["quarter": .string("Q3")])), type: "report", urgency: 0.3, sourceID: "bi", correlationID: "trace-cli-0001")
    _ = try node.receive(report)
    try await node.waitUntilIdle()
    _ = await node.gracefulShutdown(timeout: .seconds(10))
    return SignalLogFixture(directory: directory, failedPaymentID: payment.id, unknownTypeID: fax.id, correlationID: "trace-cli-0001", alertIDs: ids)
}

final class FailOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<String> = []
    func first(_ id: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return seen.insert(id).inserted
    }
}

/// One line of stderr, no Swift crash report.
func expectOneLineError(_ result: RunResult, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.stderr.contains("Fatal error"), "\(result)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Stack dump"), "\(result)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Current stack trace"), "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains(text), "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.split(separator: "\n").count <= 3, "\(result)", sourceLocation: sourceLocation)
}
