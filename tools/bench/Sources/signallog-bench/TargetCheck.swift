/// One of issue 5's targets, evaluated on this run's figures.
struct TargetCheck: Codable, Sendable {
    var name: String
    /// The measured figure (nil when its workload did not run).
    var value: Double?
    /// The requirement, in words ("≥ 1.5 M/s").
    var requirement: String
    /// nil when not measured.
    var met: Bool?

    /// Checks `value ≥ minimum` (or `≤` when `atMost`).
    init(_ name: String, _ value: Double?, atLeast minimum: Double, _ requirement: String) {
        self.name = name
        self.value = value
        self.requirement = requirement
        met = value.map { $0 >= minimum }
    }

    init(_ name: String, _ value: Double?, atMost maximum: Double, _ requirement: String) {
        self.name = name
        self.value = value
        self.requirement = requirement
        met = value.map { $0 <= maximum }
    }

    var verdict: String {
        switch met {
        case .some(true): return "met"
        case .some(false): return "MISSED"
        case .none: return "not measured"
        }
    }
}

/// Computes the run's ratios and checks the targets of issue 5.
enum Targets {
    static func ratios(_ report: BenchReport) -> [BenchReport.Ratio] {
        var ratios: [BenchReport.Ratio] = []
        for policy in DurabilityPolicy.allCases {
            for batch in [1000, 100, 1] {
                if let s = report.ingest("SignalLog", policy, batch), let q = report.ingest("SQLite", policy, batch) {
                    ratios.append(.init(name: "ingest \(policy.rawValue) batch \(batch): SignalLog / SQLite \(policy.sqliteSynchronous)",
                                        value: s.recordsPerSecond / q.recordsPerSecond))
                }
            }
        }
        for s in report.ingest where s.system == "SignalLog" && s.writers > 1 {
            if let q = report.ingest("SQLite", s.policy, s.batch, writers: s.writers) {
                ratios.append(.init(name: "ingest \(s.policy.rawValue) batch \(s.batch) × \(s.writers) writers: SignalLog / SQLite \(s.policy.sqliteSynchronous)",
                                    value: s.recordsPerSecond / q.recordsPerSecond))
            }
        }
        if let bounds = report.bounds {
            if let os = report.ingest("SignalLog", .os, bounds.batchSize) {
                ratios.append(.init(name: "ingest os batch \(bounds.batchSize): SignalLog / compression bound",
                                    value: os.recordsPerSecond / bounds.compressRecordsPerSecond))
                ratios.append(.init(name: "ingest os batch \(bounds.batchSize): SignalLog / write bound (no sync)",
                                    value: os.recordsPerSecond / bounds.writeRecordsPerSecond))
                ratios.append(.init(name: "ingest os batch \(bounds.batchSize): SignalLog / disk bandwidth bound",
                                    value: os.recordsPerSecond / bounds.writeSyncOnceRecordsPerSecond))
            }
            if let always = report.ingest("SignalLog", .always, bounds.batchSize) {
                ratios.append(.init(name: "ingest always batch \(bounds.batchSize): SignalLog / write+fdatasync per batch bound",
                                    value: always.recordsPerSecond / bounds.writeSyncEachRecordsPerSecond))
            }
        }
        if let event = report.replay("SignalLog", "event-time window 1%") {
            ratios.append(.init(name: "replay event-time window 1%: SignalLog bytes read / window bytes",
                                value: Double(event.bytesRead) / Double(max(1, event.windowBytes))))
        }
        for query in ["time window 1%", "one partition", "partition in 1% window", "everything", "event-time window 1%"] {
            if let s = report.replay("SignalLog", query), let q = report.replay("SQLite", query) {
                ratios.append(.init(name: "replay \(query): SignalLog time / SQLite time", value: s.totalMilliseconds / q.totalMilliseconds))
            }
        }
        if let window = report.replay("SignalLog", "time window 1%"), let all = report.replay("SignalLog", "everything") {
            ratios.append(.init(name: "replay: SignalLog everything / 1% window (speedup)", value: all.totalMilliseconds / window.totalMilliseconds))
        }
        if let startup = report.startup {
            ratios.append(.init(name: "startup: (open + last 1%) / full scan", value: startup.startupFraction))
            ratios.append(.init(name: "startup: open / full scan", value: startup.openFraction))
        }
        if let processing = report.processing {
            ratios.append(.init(name: "processing: receive until handled / plain append (signals/s)",
                                value: processing.receivePerSecond / processing.appendPerSecond))
            ratios.append(.init(name: "processing: receive(batch:) until handled / plain append (signals/s)",
                                value: processing.batchReceivePerSecond / processing.appendPerSecond))
            ratios.append(.init(name: "processing: receive CPU / plain append CPU (per signal)",
                                value: processing.receiveCPUMicrosecondsPerSignal / processing.appendCPUMicrosecondsPerSignal))
            ratios.append(.init(name: "processing: receive(batch:) CPU / plain append CPU (per signal)",
                                value: processing.batchCPUMicrosecondsPerSignal / processing.appendCPUMicrosecondsPerSignal))
            ratios.append(.init(name: "processing: node open / full scan of its log",
                                value: processing.nodeOpenMilliseconds / processing.nodeLogFullScanMilliseconds))
        }
        return ratios
    }

    static func check(_ report: BenchReport) -> [TargetCheck] {
        let os = report.ingest("SignalLog", .os, 1000)
        let osSQLite = report.ingest("SQLite", .os, 1000)
        let always = report.ingest("SignalLog", .always, 1000)
        let full = report.ingest("SQLite", .always, 1000)
        let writers = report.ingest.first { $0.system == "SignalLog" && $0.policy == .always && $0.batch == 1000 && $0.writers > 1 }
        let writersSQLite = writers.flatMap { report.ingest("SQLite", .always, 1000, writers: $0.writers) }
        let window = report.replay("SignalLog", "time window 1%")
        let windowSQLite = report.replay("SQLite", "time window 1%")
        let everything = report.replay("SignalLog", "everything")
        let event = report.replay("SignalLog", "event-time window 1%")
        let eventSQLite = report.replay("SQLite", "event-time window 1%")
        func ratio(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b, b > 0 else { return nil }
            return a / b
        }
        return [
            TargetCheck("ingest os batch 1000 (signals/s)", os?.recordsPerSecond, atLeast: 1_500_000, "≥ 1.5 M/s"),
            TargetCheck("ingest os batch 1000: × SQLite OFF", ratio(os?.recordsPerSecond, osSQLite?.recordsPerSecond), atLeast: 10, "≥ 10×"),
            TargetCheck("ingest os batch 1000: fraction of compression bound",
                        ratio(os?.recordsPerSecond, report.bounds?.compressRecordsPerSecond), atLeast: 0.5, "≥ 0.50"),
            TargetCheck("ingest always batch 1000: × SQLite FULL", ratio(always?.recordsPerSecond, full?.recordsPerSecond), atLeast: 5, "≥ 5×"),
            TargetCheck("  same with \(writers?.writers ?? 0) writers (group commit), for reference",
                        ratio(writers?.recordsPerSecond, writersSQLite?.recordsPerSecond), atLeast: 5, "≥ 5×"),
            TargetCheck("1% time window: × faster than reading everything",
                        ratio(everything?.totalMilliseconds, window?.totalMilliseconds), atLeast: 100, "≥ 100×"),
            TargetCheck("  1% time window: bytes read / window bytes, for reference",
                        window.map { Double($0.bytesRead) / Double(max(1, $0.windowBytes)) }, atMost: 1.5, "≈ 1"),
            TargetCheck("1% time window: SignalLog time / SQLite time",
                        ratio(window?.totalMilliseconds, windowSQLite?.totalMilliseconds), atMost: 2, "≤ 2"),
            TargetCheck("1% event-time window (timestamps ≤ 5 min out of order): bytes read / window bytes",
                        event.map { Double($0.bytesRead) / Double(max(1, $0.windowBytes)) }, atMost: 1.2, "≤ 1.2"),
            TargetCheck("1% event-time window: SignalLog time / SQLite time",
                        ratio(event?.totalMilliseconds, eventSQLite?.totalMilliseconds), atMost: 2, "≤ 2"),
            TargetCheck("startup (open + last 1%) / full scan", report.startup?.startupFraction, atMost: 0.10, "≤ 0.10"),
            TargetCheck("processing, receive(batch: 1000) until handled (signals/s)", report.processing?.batchReceivePerSecond, atLeast: 500_000, "≥ 500 k/s"),
            TargetCheck("processing, one signal per receive call (signals/s)", report.processing?.receivePerSecond, atLeast: 500_000, "≥ 500 k/s"),
            TargetCheck("one sequential caller: × one-record append rate", report.processing.map { $0.receivePerSecond / $0.appendPerSecond }, atLeast: 0.6, "≥ 0.6"),
            TargetCheck("8 concurrent callers, one signal per call (signals/s)", report.processing?.concurrentReceivePerSecond, atLeast: 400_000, "≥ 400 k/s"),
            TargetCheck("processing added p99 latency, receive → handler minus append (ms)", report.processing?.addedP99Milliseconds, atMost: 1, "< 1 ms"),
            TargetCheck("node startup (projection rebuild) / full scan", report.processing.map { $0.nodeOpenMilliseconds / $0.nodeLogFullScanMilliseconds }, atMost: 0.10, "≤ 0.10"),
        ]
    }
}
