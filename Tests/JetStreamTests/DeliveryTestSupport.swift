import Foundation
import SegmentLog
import SignalLog
import SignalLogJetStream

/// Signal `n` of a delivery test: id `sig-<n>`, idempotency key `key-<n>`,
/// partition `p<n % partitions>`, a fixed creation time.
func deliverySignal(_ n: Int, partitions: Int = 4) -> Signal {
    Signal(content: .text("payload \(n)"), type: "order", urgency: 0.5, sourceID: "node-a", id: "sig-\(n)",
           idempotencyKey: "key-\(n)", partitionKey: "p\(n % partitions)", correlationID: "corr-\(n)",
           createdAt: 1_780_000_000_000_000 + Int64(n))
}

/// The signals of the log at `path` in log order (read-only, beside a live writer).
func signalRecords(_ path: String) throws -> [Signal] {
    let log = try SegmentLog.openReadOnly(directory: path)
    defer { try? log.close() }
    let reader = log.read()
    var signals: [Signal] = []
    while let record = try reader.next() {
        guard record.kind == SignalRecordKind.signal.rawValue else { continue }
        signals.append(try SignalRecord.decode(record.payload).signal)
    }
    return signals
}

/// The first problem with `signals` as a delivery of `sig-0`…`sig-<count-1>`:
/// a missing or repeated id, or a partition whose signals are out of order.
func deliveryProblem(_ signals: [Signal], count: Int) -> String? {
    var seen = Set<String>()
    var lastByPartition: [String: Int] = [:]
    for signal in signals {
        guard seen.insert(signal.id).inserted else { return "\(signal.id) appended twice" }
        guard let n = Int(signal.id.dropFirst(4)) else { return "unexpected signal \(signal.id)" }
        if let last = lastByPartition[signal.partitionKey], last > n {
            return "partition \(signal.partitionKey): \(signal.id) after sig-\(last)"
        }
        lastByPartition[signal.partitionKey] = n
    }
    if seen.count != count {
        let missing = (0..<count).first { !seen.contains("sig-\($0)") }.map { "sig-\($0)" } ?? "?"
        return "\(seen.count) of \(count) signals appended (first missing: \(missing))"
    }
    return nil
}

/// Waits until `condition` holds, checking after each round trip to the
/// server (the event waited for is the server's or a node's progress).
func waitUntil(_ what: String, client: NATSClient, deadline: Duration = .seconds(120),
               _ condition: () async throws -> Bool) async throws {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < deadline {
        if try await condition() { return }
        try? await client.flush()
        await Task.yield()
    }
    throw TestError("timed out waiting for \(what)")
}

/// A gate a handler waits at until the test opens it.
final class HandlerGate: Sendable {
    private let state = LockedGateState()
    func wait() async { await state.wait() }
    func open() { state.open() }
}

final class LockedGateState: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if opened {
                lock.unlock()
                continuation.resume()
                return
            }
            waiters.append(continuation)
            lock.unlock()
        }
    }
    func open() {
        lock.lock()
        opened = true
        let all = waiters
        waiters = []
        lock.unlock()
        for waiter in all { waiter.resume() }
    }
}
