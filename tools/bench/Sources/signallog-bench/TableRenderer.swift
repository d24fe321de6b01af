/// Renders the report as aligned text tables, one per workload, with the
/// ratios and the targets at the end.
struct TableRenderer {
    let report: BenchReport

    func render() -> String {
        var out: [String] = []
        let m = report.machine
        out.append("SignalLog benchmark — \(report.date), commit \(report.commit)\(report.quick ? " (quick)" : "")")
        out.append("machine: \(m.cpu), \(String(format1: m.memoryGiB)) GiB, \(m.kernel); load before \(m.loadBefore), after \(m.loadAfter)")
        out.append("command: \(report.command)")
        out.append("data: \(report.signals) signals, \(report.corpus.templates) distinct records of \(String(format1: report.corpus.meanPayloadBytes)) bytes on average, \(report.corpus.partitions) partitions")
        out.append("")

        if !report.ingest.isEmpty {
            let headlineRuns = report.ingest("SignalLog", .os, 1000)?.runs ?? 1
            out.append("1. Ingest (records appended, open/close excluded; SignalLog os/1000 is the median of \(headlineRuns) runs)")
            var rows = [["system", "policy", "batch", "writers", "records", "records/s", "MB/s in", "MB on disk", "written / input", "RSS added MB", "vs SQLite"]]
            for r in report.ingest {
                var versus = ""
                if r.system == "SignalLog", let q = report.ingest("SQLite", r.policy, r.batch, writers: r.writers) {
                    versus = String(format1: r.recordsPerSecond / q.recordsPerSecond) + "×"
                }
                let policy = r.system == "SQLite" ? "sync=\(r.policy.sqliteSynchronous)" : r.policy.rawValue
                rows.append([r.system, policy, "\(r.batch)", "\(r.writers)", "\(r.records)", Self.rate(r.recordsPerSecond),
                             String(format1: r.inputMegabytesPerSecond), String(format1: Double(r.bytesOnDisk) / 1e6), String(format2: Double(r.bytesWritten) / Double(max(1, r.inputBytes))),
                             String(format1: Double(r.addedResidentBytes) / 1e6), versus])
            }
            out.append(Self.table(rows))
        }
        if let b = report.bounds {
            out.append("2. Machine bounds (same encoded batches of \(b.batchSize), \(b.records) records; compression ratio \(String(format2: b.compressionRatio)), \(String(format1: b.storedBytesPerRecord)) stored bytes/record)")
            var rows = [["bound", "records/s", "MB/s", "SignalLog / bound"]]
            let os = report.ingest("SignalLog", .os, b.batchSize)?.recordsPerSecond
            let always = report.ingest("SignalLog", .always, b.batchSize)?.recordsPerSecond
            func fraction(_ value: Double?, _ bound: Double, _ policy: String) -> String {
                value.map { String(format2: $0 / bound) + " (\(policy))" } ?? ""
            }
            rows.append(["LZ4 at acceleration \(b.compressionAcceleration) (the engine's) + CRC32C in memory", Self.rate(b.compressRecordsPerSecond), String(format1: b.compressInputMegabytesPerSecond), fraction(os, b.compressRecordsPerSecond, "os")])
            rows.append(["LZ4 at acceleration \(b.referenceAcceleration) (ratio \(String(format2: b.referenceCompressionRatio))) + CRC32C, for reference", Self.rate(b.referenceCompressRecordsPerSecond), "", fraction(os, b.referenceCompressRecordsPerSecond, "os")])
            rows.append(["write, no sync", Self.rate(b.writeRecordsPerSecond), String(format1: b.writeRecordsPerSecond * b.storedBytesPerRecord / 1e6), fraction(os, b.writeRecordsPerSecond, "os")])
            rows.append(["write + one fdatasync", Self.rate(b.writeSyncOnceRecordsPerSecond), String(format1: b.writeSyncOnceMegabytesPerSecond), fraction(os, b.writeSyncOnceRecordsPerSecond, "os")])
            rows.append(["write + fdatasync per batch (\(b.writeSyncEachRecords) records, median \(String(format2: b.syncMillisecondsMedian)) ms)", Self.rate(b.writeSyncEachRecordsPerSecond), String(format1: b.writeSyncEachRecordsPerSecond * b.storedBytesPerRecord / 1e6), fraction(always, b.writeSyncEachRecordsPerSecond, "always")])
            out.append(Self.table(rows))
        }
        if !report.replay.isEmpty {
            out.append("3. Time-range replay (warm page cache; times are medians, bytes read from the first run)")
            var rows = [["system", "query", "records", "first record ms", "total ms", "records/s", "bytes read", "window bytes", "read / window", "vs SQLite"]]
            for r in report.replay {
                var versus = ""
                if r.system == "SignalLog", let q = report.replay("SQLite", r.query) {
                    versus = String(format2: r.totalMilliseconds / q.totalMilliseconds) + "× time"
                }
                rows.append([r.system, r.query, "\(r.records)", String(format3: r.firstRecordMilliseconds), String(format3: r.totalMilliseconds),
                             Self.rate(r.recordsPerSecond), Self.bytes(r.bytesRead), Self.bytes(r.windowBytes),
                             String(format2: Double(r.bytesRead) / Double(max(1, r.windowBytes))), versus])
            }
            out.append(Self.table(rows))
        }
        if let s = report.startup {
            out.append("4. Startup (\(s.records) records in \(s.segments) segments, active segment \(Self.bytes(s.activeSegmentBytes)); medians)")
            let rows = [["measure", "ms", "/ full scan"],
                        ["open", String(format3: s.openMilliseconds), String(format3: s.openFraction)],
                        ["open + read last 1% (\(s.tailRecords) records)", String(format3: s.openAndTailMilliseconds), String(format3: s.startupFraction)],
                        ["open + full scan", String(format3: s.fullScanMilliseconds), "1"]]
            out.append(Self.table(rows))
        }
        if let p = report.processing {
            out.append("5. Processing (\(p.signals) signals, trivial handler; latencies from \(p.pacedSignals) paced signals)")
            var rows = [["path", "signals/s", "p50 ms", "p99 ms", "CPU µs/signal"]]
            rows.append(["SegmentLog.append, one per call (baseline)", Self.rate(p.appendPerSecond), String(format3: p.appendP50Milliseconds), String(format3: p.appendP99Milliseconds), String(format2: p.appendCPUMicrosecondsPerSignal)])
            rows.append(["SignalNode.receive call (acknowledgement)", Self.rate(p.acceptPerSecond), String(format3: p.receiveP50Milliseconds), String(format3: p.receiveP99Milliseconds), ""])
            rows.append(["receive until every handler ran", Self.rate(p.receivePerSecond), "", "", String(format2: p.receiveCPUMicrosecondsPerSignal)])
            rows.append(["receive(batch: \(p.batchSize)) until every handler ran (median)", Self.rate(p.batchReceivePerSecond), "", "",
                         String(format2: p.batchCPUMicrosecondsPerSignal)])
            rows.append(["receive, \(p.concurrentCallers) callers at once, one signal per call, until every handler ran", Self.rate(p.concurrentReceivePerSecond), "", "",
                         String(format2: p.concurrentCPUMicrosecondsPerSignal)])
            rows.append(["receive → handler, paced", "", String(format3: p.endToEndP50Milliseconds), String(format3: p.endToEndP99Milliseconds), ""])
            rows.append(["added over a plain append", "", String(format3: p.addedP50Milliseconds), String(format3: p.addedP99Milliseconds), String(format2: p.receiveCPUMicrosecondsPerSignal - p.appendCPUMicrosecondsPerSignal)])
            out.append(Self.table(rows))
            out.append("   receive(batch: \(p.batchSize)) rounds, each on a fresh node: \(p.batchReceiveRoundsPerSecond.map { Self.rate($0) }.joined(separator: ", ")) signals/s")
            out.append("   node open on its own log (\(p.nodeLogRecords) records): \(String(format3: p.nodeOpenMilliseconds)) ms, \(p.nodeOpenRecordsScanned) records scanned; full scan \(String(format3: p.nodeLogFullScanMilliseconds)) ms (\(String(format3: p.nodeOpenMilliseconds / p.nodeLogFullScanMilliseconds)) of a full scan)")
            out.append("")
        } else if let note = report.processingNote {
            out.append("5. Processing: not measured — \(note)")
            out.append("")
        }
        out.append("Ratios (same run)")
        out.append(Self.table([["ratio", "value"]] + report.ratios.map { [$0.name, String(format3: $0.value)] }))
        out.append("Targets (issue 5)")
        out.append(Self.table([["target", "required", "measured", "verdict"]] + report.targets.map {
            [$0.name, $0.requirement, $0.value.map { Self.figure($0) } ?? "—", $0.verdict]
        }))
        out.append("total run time \(String(format1: report.totalSeconds)) s")
        return out.joined(separator: "\n")
    }

    static func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var lines: [String] = []
        for (n, row) in rows.enumerated() {
            let cells = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 || i == 1 ? cell + pad : pad + cell
            }
            lines.append("  " + cells.joined(separator: "  "))
            if n == 0 { lines.append("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func rate(_ value: Double) -> String {
        if value >= 1e6 { return String(format2: value / 1e6) + " M" }
        if value >= 1e3 { return String(format1: value / 1e3) + " k" }
        return String(format1: value)
    }

    static func bytes(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format2: v / 1e9) + " GB" }
        if v >= 1e6 { return String(format2: v / 1e6) + " MB" }
        if v >= 1e3 { return String(format1: v / 1e3) + " kB" }
        return "\(value) B"
    }

    static func figure(_ value: Double) -> String {
        if value >= 1e4 { return rate(value) }
        return String(format3: value)
    }
}

extension String {
    /// A number with a fixed count of decimals, without Foundation's format strings.
    init(fixed value: Double, decimals: Int) {
        guard value.isFinite else { self = "\(value)"; return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + "\(whole)"
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        self = text
    }

    init(format1 value: Double) { self.init(fixed: value, decimals: 1) }
    init(format2 value: Double) { self.init(fixed: value, decimals: 2) }
    init(format3 value: Double) { self.init(fixed: value, decimals: 3) }
}
