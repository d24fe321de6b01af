import Foundation
import SegmentLog
import SignalLog
import Testing

@Suite("signal-aware views: filters, CloudEvents, trace, dlq, info")
struct SignalViewTests {
    @Test func signalFiltersAndFormats() async throws {
        let temp = TemporaryDirectory()
        let fixture = try await makeSignalLog(temp.child(), signals: 30)
        let log = fixture.directory

        let alerts = try signallog(["cat", log, "--type", "alert", "-o", "ndjson"]).ndjson()
        #expect(alerts.count == 30)
        #expect(alerts.allSatisfy { ($0["signal"] as? [String: Any])?["signal_type"] as? String == "alert" })
        #expect(alerts.compactMap { ($0["signal"] as? [String: Any])?["id"] as? String } == fixture.alertIDs)

        let host1 = try signallog(["cat", log, "--source", "host-1", "-o", "ndjson"]).ndjson()
        #expect(host1.count == 10)

        let grep = try signallog(["cat", log, "--grep", "CPU AT 5[0-4]%", "-o", "ndjson"]).ndjson()
        #expect(grep.isEmpty, "a pattern with capitals is case-sensitive")
        let grepInsensitive = try signallog(["cat", log, "--grep", "cpu at 5[0-4]%", "-o", "ndjson"]).ndjson()
        #expect(grepInsensitive.count == 5)

        // Everything about one signal: its record, its attempts, its DLQ move.
        let payment = try signallog(["cat", log, "--signal-id", fixture.failedPaymentID, "-o", "ndjson"]).ndjson()
        #expect(payment.map { $0["kind"] as? String } == ["signal", "attempt", "attempt", "dlq-move"])
        #expect((payment.last?["dlq_move"] as? [String: Any])?["reason"] as? String == "processing_failed")

        let correlated = try signallog(["cat", log, "--correlation-id", fixture.correlationID, "-o", "ndjson"]).ndjson()
        #expect(correlated.map { $0["kind"] as? String } == ["signal", "attempt", "attempt"])
        #expect(correlated.compactMap { ($0["attempt"] as? [String: Any])?["outcome"] as? String } == ["failed", "processed"])

        let events = try signallog(["cat", log, "-o", "cloudevents"]).ndjson()
        #expect(events.count == 33, "one CloudEvent per signal record, nothing for other kinds")
        for event in events {
            #expect(event["specversion"] as? String == "1.0")
            #expect(event["id"] != nil && event["source"] != nil && event["type"] != nil && event["time"] != nil && event["data"] != nil)
        }
        let report = try #require(events.first { $0["type"] as? String == "report" })
        #expect(report["subject"] as? String == "bi_report", "subject is the partition key")
        #expect((report["data"] as? [String: Any])?["quarter"] as? String == "Q3")

        let text = try signallog(["cat", log, "--kind", "signal", "-n", "1"])
        #expect(text.stdout.contains("report from bi"))
    }

    @Test func traceShowsTheWholeHistory() async throws {
        let temp = TemporaryDirectory()
        let fixture = try await makeSignalLog(temp.child(), signals: 5)
        let text = try signallog(["trace", fixture.directory, fixture.correlationID])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("3 records, 1 signal, 1 node"))
        let rows = text.lines.filter { $0.contains("#") }
        #expect(rows.count == 3)
        #expect(rows[0].contains("accepted") && rows[1].contains("failed") && rows[1].contains("renderer crashed") && rows[2].contains("processed"))
        let json = try signallog(["trace", fixture.directory, fixture.correlationID, "-o", "ndjson"]).ndjson()
        #expect(json.count == 3)
        let unknown = try signallog(["trace", fixture.directory, "no-such-correlation"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.contains("No records"))
    }

    @Test func dlqListAndShow() async throws {
        let temp = TemporaryDirectory()
        let fixture = try await makeSignalLog(temp.child(), signals: 5)
        let list = try signallog(["dlq", fixture.directory, "list", "-o", "json"])
        #expect(list.status == 0, "\(list)")
        let entries = try #require(try list.json() as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["signal_id"] as? String }) == [fixture.failedPaymentID, fixture.unknownTypeID])
        let payment = try #require(entries.first { $0["signal_id"] as? String == fixture.failedPaymentID })
        #expect(payment["reason"] as? String == "processing_failed")
        #expect(payment["error"] as? String == "gateway down")
        #expect(payment["signal_type"] as? String == "payment")
        let fax = try #require(entries.first { $0["signal_id"] as? String == fixture.unknownTypeID })
        #expect(fax["reason"] as? String == "unknown_signal_type")

        let text = try signallog(["dlq", fixture.directory, "list"])
        #expect(text.stdout.contains("2 unresolved dead letters"))
        #expect(text.stdout.contains("processing_failed") && text.stdout.contains("gateway down"))

        let show = try signallog(["dlq", fixture.directory, "show", fixture.failedPaymentID])
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("charge 42 EUR"))
        #expect(show.stdout.contains("History"))
        let showJSON = try #require(try signallog(["dlq", fixture.directory, "show", fixture.failedPaymentID, "-o", "json"]).json() as? [String: Any])
        #expect((showJSON["history"] as? [Any])?.count == 4)

        let missing = try signallog(["dlq", fixture.directory, "show", "nope"])
        #expect(missing.status == 1)
        expectOneLineError(missing, containing: "no unresolved dead letter with signal id nope")
    }

    @Test func infoReportsProcessingState() async throws {
        let temp = TemporaryDirectory()
        let fixture = try await makeSignalLog(temp.child(), signals: 12)
        // A day's dedupe window: the keys are inside it however long the suite takes to get here.
        let json = try #require(try signallog(["info", fixture.directory, "--json", "--dedupe-ttl", "86400"]).json() as? [String: Any])
        let processing = try #require(json["processing"] as? [String: Any])
        #expect((processing["dedupe_window"] as? [String: Any])?["ttl_seconds"] as? Int == 86400)
        #expect(processing["clean_shutdown"] as? Bool == true)
        #expect(processing["dead_letters"] as? Int == 2)
        #expect(processing["pending_signals"] as? Int == 0)
        #expect((processing["dedupe_window"] as? [String: Any])?["keys"] as? Int == 15)
        let totals = try #require(processing["totals"] as? [String: Any])
        #expect(totals["received"] as? Int == 15)
        #expect(totals["dead_lettered"] as? Int == 2)
        // Errors: the payment's two failed attempts, the report's first, and the unknown type.
        let errors = try #require(processing["errors"] as? [String: Any])
        #expect(errors["total"] as? Int == 4)
        #expect((errors["rate"] as? Double).map { abs($0 - 4.0 / 17.0) < 1e-9 } == true, "4 errors against 13 processed")
        let causes = try #require(errors["by_cause"] as? [String: Any])
        #expect(causes["handler_failed"] as? Int == 3)
        #expect(causes["unknown_signal_type"] as? Int == 1)
        #expect(causes["unsupported_schema_version"] as? Int == 0)
        let text = try signallog(["info", fixture.directory])
        #expect(text.stdout.contains("4 · rate 23.5 % (handler_failed 3 · unknown_signal_type 1)"), "\(text.stdout)")
        #expect(text.stdout.contains("clean (node test-node)"))
        #expect(text.stdout.contains("2 unresolved"))
    }

    @Test func vacuumKeepsUnresolvedWork() async throws {
        let temp = TemporaryDirectory()
        let path = temp.child()
        // Old history: a node dead-letters a signal, then many processed signals fill sealed segments.
        var options = SignalNodeOptions()
        options.log.segmentMaxBytes = 8 << 10
        options.retry = RetryPolicy(maxAttempts: 1)
        options.dedupeTTL = .seconds(1)
        options.logger.logLevel = .critical
        let clock = ManualClock(microseconds: 1_700_000_000_000_000)
        options.clock = clock
        let node = try SignalNode.open(nodeID: "old", directory: path, options: options, handlers: ["ok": { _ in }])
        let dead = Signal(content: .text("nobody handles me"), type: "orphan", urgency: 0.5, sourceID: "x")
        _ = try node.receive(dead)
        for i in 0..<400 {
            _ = try node.receive(Signal(content: .text("filler \(i) " + String(repeating: "z", count: 60)), type: "ok", urgency: 0.5, sourceID: "filler-\(i % 5)"))
            clock.advance(byMicroseconds: 1000)
        }
        while node.queueDepth > 0 { try await Task.sleep(nanoseconds: 5_000_000) }
        _ = await node.gracefulShutdown(timeout: .seconds(5))
        let before = try #require(try signallog(["info", path, "--json"]).json() as? [String: Any])
        let segmentsBefore = (before["segments"] as? [Any])?.count ?? 0
        #expect(segmentsBefore > 3)

        let dry = try signallog(["vacuum", path, "--older-than", "1d", "--dry-run"])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("1 dead letters") || dry.stdout.contains("0 pending, 1 dead letters"))
        let result = try signallog(["vacuum", path, "--older-than", "1d"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Removed"))
        let after = try #require(try signallog(["info", path, "--json"]).json() as? [String: Any])
        #expect((after["segments"] as? [Any])?.count ?? 0 < segmentsBefore)
        #expect((after["first_sequence"] as? Int ?? 0) > 0)
        // The dead letter survived: carried forward before its segment went.
        let dlq = try #require(try signallog(["dlq", path, "list", "-o", "json"]).json() as? [[String: Any]])
        #expect(dlq.map { $0["signal_id"] as? String } == [dead.id])
        #expect(try signallog(["verify", path]).status == 0)
    }
}
