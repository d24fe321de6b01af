// Writes fixtures/v1/node: a log written by a SignalNode holding every
// record kind of docs/signals.md (signal records with every optional part,
// attempts of every outcome, dead-letter moves of three reasons, both
// resolutions, a checkpoint and a clean-shutdown marker). The golden test
// (Tests/SignalLogTests/SignalFixtureTests.swift) reads its payloads back
// field by field and re-encodes them from the documented layouts.
//
//     swift run slog-signal-fixture-gen fixtures
//
// The committed bytes are the fixture; running this again writes a new log
// whose attempt durations and record order may differ, so commit a new one
// only together with the test's expectations.
import Foundation
import SegmentLog
import SignalLog
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: slog-signal-fixture-gen FIXTURES_DIRECTORY\n".utf8))
    exit(2)
}
let directory = arguments[1] + "/v1/node"
if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }

/// 2026-01-01T00:00:00Z, advanced by hand between steps.
let clock = ManualClock(microseconds: 1_767_225_600_000_000)
let createdAt: Int64 = 1_767_225_000_123_456
let later = Mutex(false)   // "later" fails until this is set
let flakyFailed = Mutex(false)

var options = SignalNodeOptions()
options.clock = clock
options.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1), multiplier: 1, maxBackoff: .milliseconds(1))
options.checkpointInterval = Int.max / 2
let node = try SignalNode.open(nodeID: "golden-node", directory: directory, options: options, handlers: [
    "ok": { _ in },
    "flaky": { _ in
        if flakyFailed.withLock({ failed in defer { failed = true }; return !failed }) {
            struct Flaky: Error, CustomStringConvertible { var description: String { "flaky: first attempt fails" } }
            throw Flaky()
        }
    },
    "broken": { _ in
        struct Broken: Error, CustomStringConvertible { var description: String { "broken: always fails" } }
        throw Broken()
    },
    "later": { _ in
        if !later.withLock({ $0 }) {
            struct NotYet: Error, CustomStringConvertible { var description: String { "later: not yet" } }
            throw NotYet()
        }
    },
])

func signal(_ n: Int, _ content: SignalContent, type: String, schema: String = "1.0", key: String? = nil,
            traceparent: String? = nil, requiresResponse: Bool = false, extra: [String: JSONValue] = [:]) -> Signal {
    Signal(content: content, type: type, urgency: Double(n) / 16, sourceID: "golden-source", requiresResponse: requiresResponse,
           id: "golden-signal-\(n)", idempotencyKey: key, partitionKey: "golden-partition", correlationID: "golden-correlation-\(n)",
           schemaVersion: schema, retryCount: 0, createdAt: createdAt + Int64(n), traceparent: traceparent, extraFields: extra)
}

/// Waits until every accepted signal is finished (a tool, not a test: it polls).
func drain() {
    while node.queueMetrics().queueDepth > 0 { usleep(1_000) }
}

let results = try node.receive(batch: [
    signal(1, .text("plain text, \"quoted\", é€😀"), type: "ok", key: "golden-key-1",
           traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", requiresResponse: true),
    signal(2, .json(.object(["n": .number(2.5), "list": .array([.null, .bool(true), .bool(false), .string("s")]), "nested": .object(["k": .number(-1)])])),
           type: "ok", schema: "1.1", extra: ["x_region": .string("eu-1"), "x_rank": .number(3)]),
    signal(3, .text("plain text, \"quoted\", é€😀"), type: "ok", key: "golden-key-1",
           traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", requiresResponse: true),
    signal(4, .text("different content, same key"), type: "ok", key: "golden-key-1"),
    signal(5, .text("urgency out of range"), type: "ok").withUrgency(2),
    signal(6, .text("no handler"), type: "unknown-type"),
    signal(7, .text("future schema"), type: "ok", schema: "9.9"),
    signal(8, .text("fails once"), type: "flaky"),
    signal(9, .text("always fails"), type: "broken"),
    signal(10, .text("fails until reprocessed"), type: "later"),
])
FileHandle.standardError.write(Data("accepted: \(results)\n".utf8))
clock.advance(byMicroseconds: 1_000)
drain()
clock.advance(byMicroseconds: 1_000)
later.withLock { $0 = true }
_ = try await node.reprocessDeadLetter("golden-signal-10")
clock.advance(byMicroseconds: 1_000)
try node.discardDeadLetter("golden-signal-9")
clock.advance(byMicroseconds: 1_000)
try node.checkpoint()
clock.advance(byMicroseconds: 1_000)
guard await node.gracefulShutdown(timeout: .seconds(30)) else {
    FileHandle.standardError.write(Data("the node did not shut down cleanly\n".utf8))
    exit(1)
}
try? FileManager.default.removeItem(atPath: directory + "/LOCK")
print("wrote \(directory)")

extension Signal {
    func withUrgency(_ urgency: Double) -> Signal {
        var copy = self
        copy.urgency = urgency
        return copy
    }
}
