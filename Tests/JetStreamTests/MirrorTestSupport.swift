import Foundation
import SegmentLog
import SignalLogJetStream
import TestSupport

/// Writes a log of `count` records in batches of 1–`maxBatch` records over
/// a handful of partitions (some that need escaping in a subject, one too
/// long for a token), with append times that move on most batches and
/// segments small enough to rotate. Returns its records.
@discardableResult
func writeSampleLog(at path: String, count: Int, seed: UInt64, maxBatch: Int = 60, startSequenceAfterRetention: Bool = false) throws -> [LogRecord] {
    var random = SeededRandom(seed: seed)
    let clock = ManualClock(microseconds: 1_780_000_000_000_000)
    var options = LogOptions()
    options.clock = clock
    options.segmentMaxBytes = 48 << 10
    let log = try SegmentLog.open(directory: path, options: options)
    let partitions = ["user_1", "", "orders.eu.*", "ünïcödé key", "a>b c~d", String(repeating: "long-", count: 60), "sensor-7"]
    var written = 0
    while written < count {
        let size = min(count - written, 1 + Int(random.next() % UInt64(maxBatch)))
        let batch = (0..<size).map { i -> AppendRecord in
            let partition = partitions[Int(random.next() % UInt64(partitions.count))]
            let length = Int(random.next() % 200)
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ written &+ i) }
            return AppendRecord(kind: UInt8(random.next() % 6), partition: partition, payload: payload)
        }
        try log.append(batch)
        written += size
        if random.next() % 4 != 0 { clock.advance(byMicroseconds: Int64(1 + random.next() % 5_000)) }
    }
    try log.close()
    return try readAll(path)
}

/// Every record of the log at `path`, read-only.
func readAll(_ path: String) throws -> [LogRecord] {
    let log = try SegmentLog.openReadOnly(directory: path)
    defer { try? log.close() }
    let reader = log.read()
    var records: [LogRecord] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

/// The log sequences of the stream's messages for `subjects`, in stream order
/// (read with a pull consumer, so a duplicate or a gap shows); a batch
/// message counts as each of its records.
func streamSequences(_ js: JetStream, stream: String, subjects: LogSubjects) async throws -> [UInt64] {
    // In a cluster that just lost a node, the API answers once a new
    // leader is elected: retry (each try is its own round trip) for a while.
    let config = ConsumerConfig(deliverPolicy: .all, ackPolicy: .none, filterSubject: subjects.all)
    let start = ContinuousClock.now
    var made: PullConsumer?
    while made == nil {
        do {
            made = try await js.createConsumer(stream: stream, config)
        } catch {
            guard ContinuousClock.now - start < .seconds(60) else { throw error }
            if case .api(_, _, let code, _, _) = error, code != 503 { throw error }
            await js.client.waitUntilConnected()
        }
    }
    let consumer = made!
    defer { consumer.close() }
    var sequences: [UInt64] = []
    let total = consumer.info.numPending
    while UInt64(sequences.count) < total {
        let batch = try await consumer.fetch(batch: 2048, expires: .seconds(1))
        if batch.isEmpty { throw TestError("the stream stopped delivering after \(sequences.count) of \(total) messages") }
        for message in batch {
            guard let sequence = message.headers[LogSubjects.Header.sequence].flatMap({ UInt64($0) }),
                  let last = subjects.lastSequence(in: message.headers), last >= sequence else {
                throw TestError("message \(message.streamSequence) has no sequence header")
            }
            // A batch message stands for all its records.
            sequences.append(contentsOf: sequence...last)
        }
    }
    return sequences
}

/// Connects a client to `servers` (reconnecting).
func connectClient(_ servers: [NATSServerAddress]) async throws -> NATSClient {
    try await NATSClient.connect(.forTests(servers))
}

extension NATSOptions {
    /// Options for tests that do not test timeouts: the whole suite runs in
    /// parallel on two cores beside crash and cluster tests, so a server's
    /// answer can take far longer than the production defaults allow, and
    /// such a wait must not fail a test about something else.
    static func forTests(_ servers: [NATSServerAddress]) -> NATSOptions {
        var options = NATSOptions(servers: servers)
        options.requestTimeout = .seconds(60)
        options.connectTimeout = .seconds(30)
        return options
    }
}

/// The tests' one seeded generator (tools/test-support), so that every run with a seed is the same.
typealias SeededRandom = SplitMix64

/// The seed for randomized tests: `JETSTREAM_SEED` when set, else `fallback`; printed so a failure can be replayed.
func testSeed(_ fallback: UInt64, _ name: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["JETSTREAM_SEED"].flatMap { UInt64($0) } ?? fallback
    print("\(name): seed \(seed) (JETSTREAM_SEED=\(seed) replays it)")
    return seed
}

/// The built `signallog` executable, next to the test bundle.
let signallogPath = BuiltExecutable.path("signallog")

/// Runs `signallog` to its end; status and combined output.
func runTool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["-s", "KILL", "120", signallogPath] + arguments
    let scratch = TemporaryDirectory("tool")
    let outPath = scratch.child("out")
    FileManager.default.createFile(atPath: outPath, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
}

/// Starts `signallog` in the background (for tests that kill it).
func startTool(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: signallogPath)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Returns once the stream exists and holds at least `count` messages:
/// each check is a round trip to the server, the event waited for.
func waitForMessages(_ js: JetStream, stream: String, atLeast count: UInt64, deadline: Duration = .seconds(60)) async throws {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < deadline {
        do {
            if try await js.streamInfo(stream).state.messages >= count { return }
        } catch let error where error.errorCode == JetStreamErrorCode.streamNotFound {
        } catch .transport {
            await js.client.waitUntilConnected()
        }
        try? await js.client.flush()
    }
    throw TestError("stream \(stream) did not reach \(count) messages in \(deadline)")
}

/// Where two sequence lists first differ ("at index i: found x, expected y",
/// or a length difference), or nil when they are equal: a short message
/// instead of thousands of numbers.
func firstDifference(_ found: [UInt64], _ expected: [UInt64]) -> String? {
    for (index, (a, b)) in zip(found, expected).enumerated() where a != b {
        return "at index \(index): found \(a), expected \(b) (\(found.count) found, \(expected.count) expected)"
    }
    return found.count == expected.count ? nil : "\(found.count) found, \(expected.count) expected"
}
