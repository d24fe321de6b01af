// slog-node-child: a SignalNode that the crash test (docs/reliability-tests.md #18)
// kills with SIGKILL.
//
//   slog-node-child <log-directory> <first-index> [partitions] [batch]
//
// Accepts signals "sig-<n>" (idempotency key "key-<n>", partition
// "p<n % partitions>") from <first-index> on, in batches, forever; after
// each batch is acknowledged (written to the log by `receive`) it writes
// one line per accepted signal to stdout, unbuffered:
//
//   ACK <id> <partition> <sequence>
//
//   slog-node-child --bench <empty-directory> [signals] [batch] [partitions]
//
// measures `receive` with a trivial handler against appending the same
// signal records straight to a SegmentLog (see docs/signals.md).
//
//   slog-node-child --pending-memory <empty-directory> <signals>
//
// accepts <signals> signals of about 350 bytes with an accept-only node,
// shuts it down, processes them all with a processing node, and prints
// `PEAK <kB>`, the process's peak resident set (VmHWM): pending work is
// held in the log, so it must not grow with <signals>.
//
//   slog-node-child --drain <log-directory> <type>
//
// opens the log with a processing node (default options, a handler that
// does nothing for <type>), waits until nothing is pending, shuts down and
// prints `DONE <processed>` and `PEAK <kB>` (tools/bench/pending-memory.sh).
//
//   slog-node-child --dedupe-fill <log-directory> <first> <count> [reopen]
//
// accepts <count> signals with the default dedupe TTL and shuts down (the
// dedupe snapshot is written then); with `reopen`, processes them all with
// a processing node; prints `DONE <accepted> <processed>` and `PEAK <kB>`.
//
//   slog-node-child --check-processed <log-directory> <acks-file>
//
// checks a drained log against a crash-mode child's ACK lines: every
// acknowledged signal processed once, in per-partition acceptance order.
//
// SLOG_PENDING_WINDOW=<n> sets the crash mode's pendingWindow;
// SLOG_ACCEPT_ONLY=1 makes the crash mode's node accept-only.
//
// Handlers take a little time, so there is always accepted-but-unprocessed
// work when the parent kills the process.

import SegmentLog
import SignalLog
import Logging

#if canImport(Glibc)
import Glibc
#endif

func writeOut(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            exit(3)
        }
        offset += written
    }
    bytes.removeAll()
}

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "--bench" {
    await runBenchmark(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments.count >= 2, arguments[1] == "--drain" {
    await runDrain(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments.count >= 2, arguments[1] == "--check-processed" {
    runCheckProcessed(Array(arguments.dropFirst(2)))
}
if arguments.count >= 2, arguments[1] == "--dedupe-fill" {
    await runDedupeFill(Array(arguments.dropFirst(2)))
    exit(0)
}
if arguments.count >= 2, arguments[1] == "--pending-memory" {
    await runPendingMemory(Array(arguments.dropFirst(2)))
    exit(0)
}
guard arguments.count >= 3, let first = Int(arguments[2]) else {
    writeOut("usage: slog-node-child <log-directory> <first-index> [partitions] [batch]\n")
    exit(2)
}
let directory = arguments[1]
let partitions = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 4) : 4
let batchSize = arguments.count > 4 ? max(1, Int(arguments[4]) ?? 20) : 20

var options = SignalNodeOptions()
options.queueCapacity = 1_000_000
options.checkpointInterval = 500
if let value = getenv("SLOG_PENDING_WINDOW"), let window = Int(String(cString: value)) {
    options.pendingWindow = window
}
// SLOG_ACCEPT_ONLY=1: an accept-only node (nothing processed, unbounded
// capacity, a checkpoint every 100 000 records) that accepts as fast as it
// can, so a kill leaves everything it acknowledged pending.
let acceptOnly = getenv("SLOG_ACCEPT_ONLY") != nil
if acceptOnly {
    options.processing = false
    options.queueCapacity = Int.max / 2
    options.checkpointInterval = 100_000
}
var logger = Logger(label: "slog-node-child")
logger.logLevel = .error
options.logger = logger

let node: SignalNode
do {
    node = try SignalNode.open(nodeID: "child", directory: directory, options: options, handlers: [
        "work": { _ in try await Task.sleep(for: .microseconds(200)) },
    ])
} catch {
    writeOut("ERROR open: \(error)\n")
    exit(1)
}
writeOut("READY\n")

var next = first
while true {
    let batch = (next..<(next + batchSize)).map { index in
        Signal(content: .text("payload \(index)"), type: "work", urgency: 0.5, sourceID: "child",
               id: "sig-\(index)", idempotencyKey: "key-\(index)", partitionKey: "p\(index % partitions)")
    }
    next += batchSize
    let results: [ReceiveResult]
    do {
        results = try node.receive(batch: batch)
    } catch {
        writeOut("ERROR receive: \(error)\n")
        exit(1)
    }
    var lines = ""
    for (signal, result) in zip(batch, results) {
        if case .accepted(let sequence) = result {
            lines += "ACK \(signal.id) \(signal.partitionKey) \(sequence)\n"
        }
    }
    writeOut(lines)
    // Let the workers make some progress between batches.
    if !acceptOnly { try? await Task.sleep(for: .microseconds(300)) }
}
