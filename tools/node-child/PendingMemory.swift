import SegmentLog
import SignalLog
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--pending-memory <empty-directory> <signals>`: the memory a node needs
/// for a large amount of pending work. An accept-only node takes the
/// signals (about 350 bytes each, 16 partitions) and shuts down; a
/// processing node reopens the log and processes every one; then the
/// process's peak resident set is printed as `PEAK <kB>` (after `DONE
/// <processed>`). The dedupe TTL is short, so the dedupe set (which holds
/// one key per signal for its TTL, by design) does not hide what pending
/// work costs.
func runPendingMemory(_ arguments: [String]) async {
    guard arguments.count >= 2, let count = Int(arguments[1]), count > 0 else {
        writeOut("usage: slog-node-child --pending-memory <empty-directory> <signals>\n")
        exit(2)
    }
    let directory = arguments[0]
    var options = SignalNodeOptions()
    options.dedupeTTL = .milliseconds(1)
    options.pendingWindow = 1024
    var logger = Logger(label: "slog-node-child")
    logger.logLevel = .error
    options.logger = logger
    let filler = String(repeating: "m", count: 220)
    do {
        var acceptOnly = options
        acceptOnly.processing = false
        acceptOnly.queueCapacity = Int.max / 2
        acceptOnly.checkpointInterval = 50_000
        let node = try SignalNode.open(nodeID: "fill", directory: directory, options: acceptOnly)
        var next = 0
        while next < count {
            let end = min(count, next + 1000)
            let batch = (next..<end).map { index in
                Signal(content: .text("\(filler) \(index)"), type: "work", urgency: 0.5, sourceID: "memory",
                       id: "sig-\(index)", idempotencyKey: "key-\(index)", partitionKey: "p\(index % 16)")
            }
            for result in try node.receive(batch: batch) where !result.isAccepted {
                writeOut("ERROR not accepted: \(result)\n")
                exit(1)
            }
            next = end
        }
        await node.gracefulShutdown(timeout: .zero)

        let processed = Atomic<Int>(0)
        let reopened = try SignalNode.open(nodeID: "drain", directory: directory, options: options, handlers: [
            "work": { _ in processed.add(1, ordering: .relaxed) },
        ])
        while reopened.queueDepth > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        await reopened.gracefulShutdown(timeout: .seconds(30))
        writeOut("DONE \(processed.load(ordering: .relaxed))\n")
    } catch {
        writeOut("ERROR \(error)\n")
        exit(1)
    }
    writeOut("PEAK \(peakResidentKilobytes())\n")
}

/// `--drain <log-directory> <type>`: processes everything pending in a log
/// with default options and a handler that does nothing (see main.swift).
func runDrain(_ arguments: [String]) async {
    guard arguments.count >= 2 else {
        writeOut("usage: slog-node-child --drain <log-directory> <type>\n")
        exit(2)
    }
    var options = SignalNodeOptions()
    var logger = Logger(label: "slog-node-child")
    logger.logLevel = .error
    options.logger = logger
    let processed = Atomic<Int>(0)
    do {
        let started = ContinuousClock.now
        let node = try SignalNode.open(nodeID: "drain", directory: arguments[0], options: options, handlers: [
            arguments[1]: { _ in processed.add(1, ordering: .relaxed) },
        ])
        let snapshot = node.startup.dedupeSnapshotSequence.map { "marker \($0)" } ?? "not used (\(node.startup.dedupeSnapshotProblem.map { "\($0)" } ?? "?"))"
        let opened = ContinuousClock.now - started
        let openMicros = opened.components.seconds * 1_000_000 + opened.components.attoseconds / 1_000_000_000_000
        writeOut("OPENED in \(openMicros / 1000) ms (peak \(peakResidentKilobytes() / 1024) MiB so far) pending=\(node.startup.pendingSignals) scanned=\(node.startup.recordsScanned) dedupe_keys=\(node.dedupeStatus.keys) dedupe_snapshot=\(snapshot)\n")
        while node.queueDepth > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        await node.gracefulShutdown(timeout: .seconds(60))
    } catch {
        writeOut("ERROR \(error)\n")
        exit(1)
    }
    writeOut("DONE \(processed.load(ordering: .relaxed))\n")
    writeOut("PEAK \(peakResidentKilobytes())\n")
}

/// VmHWM from /proc/self/status, in kB (0 where it cannot be read).
func peakResidentKilobytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return Int(text.dropFirst(6).filter(\.isNumber)) ?? 0
        }
    }
    return 0
}
