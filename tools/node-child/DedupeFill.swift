import SignalLog
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--dedupe-fill <log-directory> <first> <count> [reopen]`: an accept-only
/// node with the default dedupe TTL (300 s, system clock) accepts signals
/// `sig-<n>` (key `key-<n>`, 16 partitions, about 350 bytes) for n in
/// first..<first+count and shuts down cleanly, which writes the dedupe
/// snapshot (a crash test kills it there with SIGNALLOG_KILL_AT). With
/// `reopen`, a processing node then opens the log, processes everything
/// pending and shuts down. Prints `OPENED snapshot=<marker|none> scanned=<n>`
/// for the reopen, `DONE <accepted> <processed>` and `PEAK <kB>`: every key
/// stays within the TTL, so the dedupe store holds one key per signal.
func runDedupeFill(_ arguments: [String]) async {
    guard arguments.count >= 3, let first = Int(arguments[1]), let count = Int(arguments[2]), count >= 0 else {
        writeOut("usage: slog-node-child --dedupe-fill <log-directory> <first> <count> [reopen]\n")
        exit(2)
    }
    let directory = arguments[0]
    var options = SignalNodeOptions()
    options.pendingWindow = 1024
    var logger = Logger(label: "slog-node-child")
    logger.logLevel = .error
    options.logger = logger
    let filler = String(repeating: "d", count: 220)
    var accepted = 0
    do {
        var acceptOnly = options
        acceptOnly.processing = false
        acceptOnly.queueCapacity = Int.max / 2
        acceptOnly.checkpointInterval = 100_000
        let node = try SignalNode.open(nodeID: "fill", directory: directory, options: acceptOnly)
        var next = first
        while next < first + count {
            let end = min(first + count, next + 1000)
            let batch = (next..<end).map { index in
                Signal(content: .text("\(filler) \(index)"), type: "work", urgency: 0.5, sourceID: "dedupe",
                       id: "sig-\(index)", idempotencyKey: "key-\(index)", partitionKey: "p\(index % 16)")
            }
            for result in try node.receive(batch: batch) where result.isAccepted { accepted += 1 }
            next = end
        }
        await node.gracefulShutdown(timeout: .zero)
        var processed = 0
        if arguments.count > 3, arguments[3] == "reopen" {
            let done = Atomic<Int>(0)
            let reopened = try SignalNode.open(nodeID: "drain", directory: directory, options: options, handlers: [
                "work": { _ in done.add(1, ordering: .relaxed) },
            ])
            let snapshot = reopened.startup.dedupeSnapshotSequence.map(String.init) ?? "none"
            writeOut("OPENED snapshot=\(snapshot) scanned=\(reopened.startup.recordsScanned) keys=\(reopened.dedupeStatus.keys)\n")
            while reopened.queueDepth > 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            await reopened.gracefulShutdown(timeout: .seconds(60))
            processed = done.load(ordering: .relaxed)
        }
        writeOut("DONE \(accepted) \(processed)\n")
    } catch {
        writeOut("ERROR \(error)\n")
        exit(1)
    }
    writeOut("PEAK \(peakResidentKilobytes())\n")
}
