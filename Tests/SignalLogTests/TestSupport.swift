import Foundation
import Logging
import Metrics
import SegmentLog
import Synchronization
import Testing
@testable import SignalLog

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory per test (Swift Testing runs tests in parallel).
func temporaryDirectory(_ name: String = "node") -> String {
    var template = Array("/tmp/signallog-\(name)-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let result = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
        return String(cString: result)
    }
    return path + "/log"
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: String(path.dropLast(4)))
}

/// Records what handlers saw, in order.
final class Recorder: Sendable {
    private let entries = Mutex<[Signal]>([])
    func add(_ signal: Signal) { entries.withLock { $0.append(signal) } }
    var signals: [Signal] { entries.withLock { $0 } }
    var ids: [String] { signals.map(\.id) }
    var count: Int { entries.withLock { $0.count } }
}

/// A gate async handlers wait on until opened.
final class Gate: Sendable {
    private let open = Atomic<Bool>(false)
    func release() { open.store(true, ordering: .releasing) }
    func wait() async {
        while !open.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ text: String = "handler failed") { description = text }
}

/// Polls `condition` (real time) until true or the timeout passes.
@discardableResult
func eventually(timeout: Duration = patience, _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return condition()
}

/// Shuts `node` down with a drain `timeout` on its manual `clock`: the
/// clock moves past the deadline once the shutdown waits on it (no wall time).
func shutDown(_ node: SignalNode, timeout: Duration, clock: ManualClock) async -> Bool {
    let shutdown = Task { await node.gracefulShutdown(timeout: timeout) }
    let mover = Task {
        await clock.waitForSleepers(1)
        if !Task.isCancelled { clock.advance(by: timeout) }
    }
    let drained = await shutdown.value
    mover.cancel()
    await mover.value
    return drained
}

/// Options for tests: a manual clock, retries without backoff (a backoff
/// waits on the manual clock until a test moves it), a private metrics factory.
func testOptions(clock: ManualClock = ManualClock(), metrics: TestMetricsFactory? = nil) -> SignalNodeOptions {
    var options = SignalNodeOptions()
    options.clock = clock
    options.retry = RetryPolicy(maxAttempts: 3, initialBackoff: .zero, multiplier: 1, maxBackoff: .zero)
    options.metricsFactory = metrics
    var logger = Logger(label: "signallog.test")
    logger.logLevel = .critical
    options.logger = logger
    return options
}

func makeSignal(_ text: String = "payload", type: String = "work", source: String = "src", key: String? = nil, partition: String? = nil,
            schema: String = "1.0") -> Signal {
    Signal(content: .text(text), type: type, urgency: 0.5, sourceID: source, idempotencyKey: key, partitionKey: partition, schemaVersion: schema)
}

/// Every record of a log, decoded.
func records(in directory: String) throws -> [(LogRecord, DecodedSignalRecord)] {
    let log = try SegmentLog.openReadOnly(directory: directory)
    defer { try? log.close() }
    let reader = log.read()
    var out: [(LogRecord, DecodedSignalRecord)] = []
    while let record = try reader.next() {
        out.append((record, try DecodedSignalRecord.decode(kind: record.kind, payload: record.payload)))
    }
    return out
}

func attempts(in directory: String) throws -> [ProcessingAttempt] {
    try records(in: directory).compactMap { entry in
        if case .attempt(let record) = entry.1 { return record.attempt }
        return nil
    }
}

// MARK: A metrics factory that keeps values

final class TestMetricsFactory: MetricsFactory, Sendable {
    private let values = Mutex<[String: Double]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }).joined(separator: ",")
    }

    func value(_ label: String, _ dimensions: [(String, String)]) -> Double? {
        values.withLock { $0[Self.key(label, dimensions)] }
    }

    func add(_ key: String, _ delta: Double) { values.withLock { $0[key, default: 0] += delta } }
    func set(_ key: String, _ value: Double) { values.withLock { $0[key] = value } }

    final class Handle: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler, MeterHandler, Sendable {
        let key: String
        let factory: TestMetricsFactory
        init(_ key: String, _ factory: TestMetricsFactory) { self.key = key; self.factory = factory }
        func increment(by amount: Int64) { factory.add(key, Double(amount)) }
        func increment(by amount: Double) { factory.add(key, amount) }
        func reset() { factory.set(key, 0) }
        func record(_ value: Int64) { factory.set(key, Double(value)) }
        func record(_ value: Double) { factory.set(key, value) }
        func recordNanoseconds(_ duration: Int64) { factory.add(key, 1) }
        func set(_ value: Int64) { factory.set(key, Double(value)) }
        func set(_ value: Double) { factory.set(key, value) }
        func decrement(by amount: Double) { factory.add(key, -amount) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handle(Self.key(label, dimensions), self) }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler { Handle(Self.key(label, dimensions), self) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Handle(Self.key(label, dimensions), self) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handle(Self.key(label, dimensions), self) }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Handle(Self.key(label, dimensions), self) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
}

/// How long tests wait for asynchronous work. Generous: under `swift test`
/// other suites may keep the cooperative thread pool busy for a long time;
/// passing tests never wait this long.
let patience: Duration = .seconds(300)
