import SegmentLog
import SignalLog

/// What `info` reports about the processing layer's state in a log: dead
/// letters, pending signals, the dedupe window, totals and whether the last
/// shutdown was clean. Nil for logs that hold no signal records.
struct ProcessingSummary {
    var inspection: SignalLogInspection

    /// - Parameter dedupeTTL: the dedupe window of the log's nodes, for
    ///   counting the keys still inside it as of now.
    static func load(directory: String, log: SegmentLog, dedupeTTL: Duration = .seconds(300)) async throws -> ProcessingSummary? {
        let hasSignalKinds = log.segments().contains { segment in
            (1...5).contains { segment.recordsByKind[UInt8($0)] != nil }
        }
        guard hasSignalKinds else { return nil }
        let inspection: SignalLogInspection
        do {
            inspection = try SignalLogInspection(log: log, dedupeTTL: dedupeTTL)
        } catch {
            throw CLIError("\(error) (run `signallog verify \(directory)`)", exitCode: ExitStatus.failure)
        }
        guard inspection.hasSignals else { return nil }
        return ProcessingSummary(inspection: inspection)
    }

    var json: JSON {
        let i = inspection
        let totals = i.totals
        return .object([
            ("clean_shutdown", .bool(i.report.cleanShutdown)),
            ("last_marker", i.report.markerSequence.map { sequence in
                .object([("sequence", .uint(sequence)), ("time", i.report.markerTime.map { .string(TimeFormat.rfc3339($0)) } ?? .null), ("node_id", .optional(i.report.markerNodeID))])
            } ?? .null),
            ("pending_signals", .int(i.pending.count)),
            ("pending_by_partition", .object(i.pendingByPartition.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("dead_letters", .int(i.deadLetters.count)),
            ("dedupe_window", .object([
                ("ttl_seconds", .int(i.dedupeTTL.components.seconds)),
                ("keys", .int(i.dedupeKeyCount)),
                ("from_snapshot", .bool(i.report.dedupeSnapshotSequence != nil)),
            ])),
            ("totals", .object([
                ("received", .uint(totals.received)), ("processed", .uint(totals.processed)),
                ("failed_attempts", .uint(totals.failedAttempts)), ("duplicates", .uint(totals.duplicates)),
                ("conflicts", .uint(totals.conflicts)), ("rejected", .uint(totals.rejected)),
                ("dead_lettered", .uint(totals.deadLettered)), ("reprocessed", .uint(totals.reprocessed)),
                ("discarded", .uint(totals.discarded)),
            ])),
            ("errors", .object([
                ("total", .uint(totals.errors)),
                ("rate", .double(totals.errorRate)),
                ("by_cause", .object(FailureCause.allCases.map { ($0.rawValue, .uint(totals.errorsByCause[$0] ?? 0)) })),
            ])),
        ])
    }

    func textFacts(style: Style) -> [(String, String)] {
        let i = inspection
        let totals = i.totals
        var facts: [(String, String)] = []
        let shutdown: String
        if i.report.cleanShutdown {
            shutdown = style.green("clean") + (i.report.markerNodeID.map { " (node \($0))" } ?? "")
        } else if i.report.markerSequence == nil {
            shutdown = style.yellow("no shutdown marker")
        } else {
            shutdown = style.yellow("not clean") + " (records follow the last marker: the writer is running or crashed)"
        }
        facts.append(("shutdown", shutdown))
        facts.append(("signals", "\(Units.count(totals.received)) received · \(Units.count(totals.processed)) processed · \(Units.plural(totals.failedAttempts, "failed attempt")) · \(Units.plural(totals.duplicates, "duplicate")) · \(Units.plural(totals.conflicts, "conflict")) · \(Units.count(totals.rejected)) rejected"))
        let causes = FailureCause.allCases.compactMap { cause -> String? in
            let count = totals.errorsByCause[cause] ?? 0
            return count == 0 ? nil : "\(cause.rawValue) \(Units.count(count))"
        }
        let errorText = "\(Units.count(totals.errors)) · rate \(Units.fixed(totals.errorRate * 100, 1)) %" + (causes.isEmpty ? "" : " (" + causes.joined(separator: " · ") + ")")
        facts.append(("errors", totals.errors == 0 ? errorText : style.red(errorText)))
        let partitions = i.pendingByPartition.count
        facts.append(("pending", i.pending.isEmpty ? "0" : style.yellow("\(Units.count(i.pending.count)) signals in \(partitions) partition\(partitions == 1 ? "" : "s")") + " (processed when a node next opens the log)"))
        facts.append(("dead letters", i.deadLetters.isEmpty ? "0" : style.red(Units.count(i.deadLetters.count)) + " unresolved (`signallog dlq list`)"))
        facts.append(("dedupe window", "\(Units.count(i.dedupeKeyCount)) keys accepted in the last \(i.dedupeTTL.components.seconds) s"
                + (i.report.dedupeSnapshotSequence != nil ? " (dedupe snapshot and the records after it)" : " (counted from the log: \(i.report.dedupeSnapshotProblem.map { "\($0)" } ?? "no snapshot"))")))
        return facts
    }
}
