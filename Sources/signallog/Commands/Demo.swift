import ArgumentParser
import SegmentLog
import SignalLog
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `signallog demo [DIR]`: the ten production features of the processing
/// layer, one after another, on real logs in a local directory; then the
/// log shown with the tool's own views.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk through the ten features (dedupe, metrics, DLQ, circuit breaker, ordering, flow control, schemas, tracing, replay, shutdown) on a log in a local directory.",
        discussion: """
            Creates DIR (default ./signallog-demo) holding two node logs, node-a and node-b, \
            prints what each step does and what the node answered, then runs info, cat, trace, \
            dlq and verify on node-a. Time-based behaviour (dedupe TTL, breaker timeout) runs on \
            a simulated clock, so nothing waits.

            Examples:
              signallog demo
              signallog demo /tmp/demo --reset
            """)

    @Argument(help: "Where to create the demo logs.")
    var directory: String = "signallog-demo"

    @Flag(name: .long, help: "Delete a previous demo's logs in DIR first.")
    var reset = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let style = global.style
        try prepareDirectory()
        let script = DemoScript(root: directory, style: style, noColor: global.noColor)
        try await script.run()
    }

    /// DIR must be new, empty, or (with --reset) a previous demo's.
    private func prepareDirectory() throws {
        let files = PosixFileSystem()
        let entries: [DirectoryEntry]
        do {
            entries = try files.list(directory)
        } catch .io(_, _, let code) where code == ENOENT {
            do { try files.createDirectory(directory) } catch { throw CLIError.unusable("cannot create \(directory): \(error)") }
            return
        } catch .io(_, _, let code) where code == ENOTDIR {
            throw CLIError.unusable("\(directory) exists and is not a directory")
        } catch {
            throw CLIError.unusable("cannot read \(directory): \(error)")
        }
        if entries.isEmpty { return }
        let ours = entries.allSatisfy { $0.kind == .directory && ($0.name == "node-a" || $0.name == "node-b") }
        guard ours else {
            throw CLIError.unusable("\(directory) is not empty and is not a demo directory; give a new or empty directory")
        }
        guard reset else {
            throw CLIError.unusable("\(directory) holds a previous demo's logs; pass --reset to delete them and start over, or give another directory")
        }
        for node in entries.map(\.name).sorted() {
            let path = directory + "/" + node
            let listing = try LogDirectory.list(path, requireSegments: false)
            if let name = listing.foreign.first { throw CLIError.unusable("\(path) holds \(name), which is not a log file; not deleting it") }
            var removed = 0
            do {
                for entry in try files.list(path) {
                    try files.remove(path + "/" + entry.name)
                    removed += 1
                }
                try files.remove(path)
            } catch {
                throw CLIError("cannot delete the previous demo log \(path): \(error)")
            }
            StandardError.line("signallog: deleted the previous demo log \(path) (\(removed) files)")
        }
    }
}

/// Shared state the demo's handlers report into.
final class DemoProbe: Sendable {
    struct State {
        var processed: [String: [Int]] = [:]
        var failPayments = true
        var failOnce: Set<String> = []
        var seenVersions: [String] = []
        var slow = false
        var handled = 0
    }
    let state = Mutex(State())
}

/// The demo's steps.
struct DemoScript {
    let root: String
    let style: Style
    let noColor: Bool
    var nodeA: String { root + "/node-a" }
    var nodeB: String { root + "/node-b" }

    func heading(_ number: Int, _ title: String) {
        StandardOutput.line("")
        StandardOutput.line(style.bold(style.cyan("\(number). \(title)")))
    }

    func say(_ text: String) { StandardOutput.line("   " + text) }

    func result(_ label: String, _ value: ReceiveResult) {
        let text: String
        switch value {
        case .accepted(let sequence): text = style.green("accepted") + " as record #\(sequence)"
        case .duplicate(let original): text = style.yellow("duplicate") + " of \(original.prefix(8))… (not processed again)"
        case .conflict(let original): text = style.yellow("conflict") + ": same key as \(original.prefix(8))… with a different payload"
        case .rejected(let reason): text = style.red("rejected") + " (\(reason.description))"
        }
        say("\(label): \(text)")
    }

    /// Waits (briefly, really) until the node's queue is empty.
    func settle(_ node: SignalNode, maxSeconds: Double = 10) async {
        let deadline = Monotonic.now() + maxSeconds
        while node.queueDepth > 0 && Monotonic.now() < deadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }

    func options(clock: ManualClock, capacity: Int = 10_000) -> SignalNodeOptions {
        var options = SignalNodeOptions()
        options.clock = clock
        options.queueCapacity = capacity
        options.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(5))
        options.circuitBreaker = CircuitBreakerConfiguration(failureThreshold: 5, openTimeout: .seconds(30), halfOpenProbes: 1)
        options.logger.logLevel = .critical
        return options
    }

    func run() async throws {
        let clock = ManualClock(microseconds: TimeExpression.nowMicroseconds())
        let probe = DemoProbe()
        let handlers: [String: SignalHandler] = [
            "alert": { _ in probe.state.withLock { $0.handled += 1 } },
            "order": { signal in
                let slow = probe.state.withLock { state -> Bool in
                    if case .text(let text) = signal.content, let n = Int(text.split(separator: " ").last ?? "") {
                        state.processed[signal.partitionKey, default: []].append(n)
                    }
                    return state.slow
                }
                if slow { try await Task.sleep(nanoseconds: 30_000_000) }
            },
            "payment": { signal in
                let fail = probe.state.withLock { $0.failPayments }
                if fail { throw DemoFailure(message: "payment gateway timed out for \(signal.id.prefix(8))") }
            },
            "report": { signal in
                let fail = probe.state.withLock { $0.failOnce.remove(signal.id) != nil }
                probe.state.withLock { $0.seenVersions.append(signal.schemaVersion) }
                if fail { throw DemoFailure(message: "report renderer crashed (first attempt)") }
            },
        ]
        StandardOutput.line(style.bold("SignalLog demo") + " — logs in \(root) (node-a, node-b); time-based steps run on a simulated clock.")
        var node = try open(nodeA, clock: clock, handlers: handlers)

        // 1. Deduplication
        heading(1, "Deduplication and idempotency")
        let first = Signal(content: .text("disk 91% full"), type: "alert", urgency: 0.9, sourceID: "host-7", idempotencyKey: "host-7-disk-1")
        result("signal with key host-7-disk-1", try node.receive(first))
        var again = first
        again.id = "retry-of-\(first.id.prefix(8))"
        result("the same key and payload again", try node.receive(again))
        let different = Signal(content: .text("disk 12% full"), type: "alert", urgency: 0.2, sourceID: "host-7", idempotencyKey: "host-7-disk-1")
        result("the same key, another payload", try node.receive(different))
        clock.advance(byMicroseconds: 301_000_000)
        var later = first
        later.id = "after-ttl-\(first.id.prefix(8))"
        result("the same key 301 s later (TTL 300 s)", try node.receive(later))
        await settle(node)

        // 2. Observability
        heading(2, "Observability")
        for i in 0..<6 {
            _ = try node.receive(Signal(content: .text("cpu \(60 + i)%"), type: "alert", urgency: 0.4, sourceID: "host-\(i % 3)"))
        }
        await settle(node)
        let metrics = node.queueMetrics()
        say("queueMetrics(): depth \(metrics.queueDepth)/\(metrics.queueCapacity), max age \(Units.fixed(metrics.maxMessageAge, 3)) s, mean age \(Units.fixed(metrics.meanMessageAge, 3)) s")
        say("throughput \(Units.fixed(metrics.throughputPerSecond, 1))/s, error rate \(Units.fixed(metrics.errorRate * 100, 1)) %, DLQ \(metrics.deadLetterCount), duplicates \(metrics.duplicateCount), breaker \(metrics.circuitState.rawValue)")
        say("the same figures go to swift-metrics (counters *_total, gauges, a processing timer) for any backend")

        // 3. Dead letter queue
        heading(3, "Dead letter queue")
        result("signal of a type nobody handles (\"fax\")", try node.receive(Signal(content: .text("incoming fax"), type: "fax", urgency: 0.1, sourceID: "pbx")))
        let payment = Signal(content: .text("charge 42.00 EUR"), type: "payment", urgency: 0.8, sourceID: "shop")
        result("payment whose handler fails on every try", try node.receive(payment))
        await settle(node)
        for entry in node.deadLetters() {
            say("dead letter \(entry.signalID.prefix(8))… \(entry.type): \(style.red(entry.reason.description)) — \(entry.error)")
        }
        probe.state.withLock { $0.failPayments = false }
        let reprocessed = try await node.reprocessDeadLetter(payment.id)
        say("gateway fixed; reprocessDeadLetter(\(payment.id.prefix(8))…) → \(reprocessed ? style.green("succeeded") : style.red("failed")) (retry count now 1)")
        if let fax = node.deadLetters().first(where: { $0.type == "fax" }) {
            try node.discardDeadLetter(fax.signalID)
            say("discardDeadLetter(\(fax.signalID.prefix(8))…) → removed; both resolutions are records in the log")
        }
        probe.state.withLock { $0.failPayments = true }

        // 4. Circuit breaker
        heading(4, "Circuit breaker")
        for i in 0..<3 {
            _ = try node.receive(Signal(content: .text("charge \(i)"), type: "payment", urgency: 0.8, sourceID: "shop-\(i)"))
        }
        await settle(node)
        say("3 payments failed twice each (retry policy: 2 attempts): breaker \(style.red(node.circuitState.rawValue)) after 5 consecutive failures")
        result("a new signal while open", try node.receive(Signal(content: .text("cpu 99%"), type: "alert", urgency: 0.9, sourceID: "host-1")))
        clock.advance(byMicroseconds: 31_000_000)
        probe.state.withLock { $0.failPayments = false }
        say("31 s later the breaker is \(style.yellow(node.circuitState.rawValue)) and admits one probe")
        result("probe", try node.receive(Signal(content: .text("charge 3"), type: "payment", urgency: 0.8, sourceID: "shop-3")))
        await settle(node)
        say("the probe succeeded: breaker \(style.green(node.circuitState.rawValue)) (rejections were not counted as failures)")

        // 5. Partition ordering
        heading(5, "Partition ordering")
        probe.state.withLock { $0.slow = false }
        var batch: [Signal] = []
        for n in 1...5 {
            for user in ["user_1", "user_2"] {
                batch.append(Signal(content: .text("\(user) order \(n)"), type: "order", urgency: 0.5, sourceID: "web", partitionKey: user + "_orders"))
            }
        }
        _ = try node.receive(batch: batch)
        await settle(node)
        let order = probe.state.withLock { $0.processed }
        for key in order.keys.sorted() {
            say("\(key): processed \(order[key]!.map(String.init).joined(separator: ", ")) — acceptance order, one at a time; partitions ran concurrently")
        }

        // 6. Producer-side flow control
        heading(6, "Producer-side flow control")
        probe.state.withLock { $0.slow = true }
        let target = try open(nodeB, clock: clock, handlers: handlers, capacity: 10)
        var warnedAt: Int? = nil, refusedAt: Int? = nil
        for n in 1...12 {
            let report = node.send(Signal(content: .text("order \(n)"), type: "order", urgency: 0.5, sourceID: "web", partitionKey: "bulk"), to: [target])
            if warnedAt == nil, node.flowWarningCount > 0 { warnedAt = n }
            if refusedAt == nil, !report.allAccepted { refusedAt = n; break }
        }
        say("node-b has capacity 10 and a slow handler; node-a sends to it")
        if let warnedAt { say("send #\(warnedAt): node-b's queue reached 80 % → \(style.yellow("warning")) (once per crossing, logged and counted)") }
        if let refusedAt { say("send #\(refusedAt): 95 % → \(style.red("refused")) with a typed backpressure result; the caller knows which target refused") }
        probe.state.withLock { $0.slow = false }
        await settle(target)
        let resumed = node.send(Signal(content: .text("order after drain"), type: "order", urgency: 0.5, sourceID: "web", partitionKey: "bulk"), to: [target])
        say("after node-b drained: send → \(resumed.allAccepted ? style.green("accepted") : style.red("refused"))")
        await settle(target)
        _ = await target.gracefulShutdown(timeout: .seconds(5))

        // 7. Schema versioning
        heading(7, "Schema versioning")
        probe.state.withLock { $0.seenVersions = [] }
        result("report with schema 1.0", try node.receive(Signal(content: .text("weekly report"), type: "report", urgency: 0.3, sourceID: "bi", schemaVersion: "1.0")))
        result("report with schema 2.0", try node.receive(Signal(content: .text("future report"), type: "report", urgency: 0.3, sourceID: "bi", schemaVersion: "2.0")))
        await settle(node)
        let versions = probe.state.withLock { $0.seenVersions }
        say("the handler saw version \(versions.first ?? "?") (1.0 was upcast to 1.1); 2.0 went to the DLQ: \(node.deadLetters().contains { $0.reason == .unsupportedSchemaVersion } ? "unsupported_schema_version" : "?")")

        // 8. Distributed tracing
        heading(8, "Distributed tracing")
        let traced = Signal(content: .text("quarterly report"), type: "report", urgency: 0.6, sourceID: "bi", correlationID: "demo-trace-0001",
                            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        probe.state.withLock { _ = $0.failOnce.insert(traced.id) }
        result("report with correlation id demo-trace-0001 and a W3C traceparent", try node.receive(traced))
        await settle(node)
        say("its first attempt failed and the retry succeeded; both attempts are records with node id, start, duration, outcome")
        say("`signallog trace \(nodeA) demo-trace-0001` rebuilds the history from the log alone (below)")

        // 9. Replay
        heading(9, "Replay and recovery")
        let now = clock.nowMicroseconds()
        let entries = try node.replay(from: now - 3_600_000_000, to: now + 1, partition: "user_1_orders").collect()
        say("replay(from: -1h, to: now, partition: user_1_orders) → \(entries.count) signals, served from the segments through the indexes:")
        for entry in entries.prefix(3) {
            if case .signal(let signal) = entry, case .text(let text) = signal.content {
                say("  #\(signal.sequence) \(signal.type) \(signal.id.prefix(8))… \"\(text)\" (schema \(signal.signal.schemaVersion) after upcasting)")
            }
        }

        // 10. Graceful shutdown
        heading(10, "Graceful shutdown")
        probe.state.withLock { $0.slow = true; $0.processed = [:] }
        var slowBatch: [Signal] = []
        for n in 1...20 { slowBatch.append(Signal(content: .text("late order \(n)"), type: "order", urgency: 0.5, sourceID: "web", partitionKey: "late_orders")) }
        _ = try node.receive(batch: slowBatch)
        let drained = await node.gracefulShutdown(timeout: .milliseconds(100))
        let done = probe.state.withLock { $0.processed["late_orders"]?.count ?? 0 }
        say("20 slow signals accepted; gracefulShutdown(timeout: 0.1 s) → drained: \(drained) (\(done) processed, the rest stay accepted in the log)")
        result("a signal after shutdown began", try node.receive(Signal(content: .text("too late"), type: "alert", urgency: 0.5, sourceID: "host-1")))
        probe.state.withLock { $0.slow = false }
        node = try open(nodeA, clock: clock, handlers: handlers)
        say("reopened: startup read \(node.startup.recordsScanned) records (from the last marker), found \(node.startup.pendingSignals) pending")
        await settle(node)
        let total = probe.state.withLock { $0.processed["late_orders"] ?? [] }
        let afterReopen = Array(total.dropFirst(done))
        let twice = total.count - Set(total).count
        say("after reopen the rest were processed in acceptance order: \(afterReopen.last == 20 && afterReopen == afterReopen.sorted() ? style.green("yes") : style.red("no")); all 20 done: \(Set(total).count == 20 ? style.green("yes") : style.red("no"))")
        if twice > 0 {
            say(style.yellow("\(twice) signal\(twice == 1 ? " was" : "s were") processed a second time") + ": its handler was still running at the deadline, so its outcome was not recorded (at-least-once)")
        } else {
            say("none was processed twice")
        }
        _ = await node.gracefulShutdown(timeout: .seconds(5))

        // The log, through the tool's own views.
        let color = noColor ? ["--no-color"] : []
        StandardOutput.line("")
        StandardOutput.line(style.bold(style.cyan("The log, with signallog's own views")))
        for arguments in [["info", nodeA], ["cat", nodeA, "--partition", "bi_report"], ["trace", nodeA, "demo-trace-0001"], ["dlq", nodeA, "list"], ["verify", nodeA]] {
            StandardOutput.line("")
            StandardOutput.line(style.dim("$ signallog " + arguments.joined(separator: " ")))
            var command = try SignalLogTool.parseAsRoot(arguments + color)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        }
    }

    func open(_ path: String, clock: ManualClock, handlers: [String: SignalHandler], capacity: Int = 10_000) throws -> SignalNode {
        do {
            return try SignalNode.open(nodeID: fileName(path), directory: path, options: options(clock: clock, capacity: capacity), handlers: handlers)
        } catch let error as SegmentLogError {
            throw CLIError.from(error, directory: path)
        }
    }
}

struct DemoFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
