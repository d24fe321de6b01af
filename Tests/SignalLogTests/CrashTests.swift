import Foundation
import SegmentLog
import Testing
@testable import SignalLog

#if canImport(Glibc)
import Glibc
#endif

/// The `slog-node-child` executable next to the running test binary.
func nodeChildPath() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    var candidates: [String] = []
    if length > 0 {
        let executable = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var directory = (executable as NSString).deletingLastPathComponent
        // Inside an .xctest bundle on other platforms the binary is deeper.
        for _ in 0..<4 {
            candidates.append(directory + "/slog-node-child")
            directory = (directory as NSString).deletingLastPathComponent
        }
    }
    if let argument = CommandLine.arguments.first {
        candidates.append(((argument as NSString).deletingLastPathComponent) + "/slog-node-child")
    }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestFailure("slog-node-child not found beside the test binary (looked in \(candidates))")
    }
    return found
}

struct Ack: Hashable {
    var id: String
    var partition: String
    var sequence: UInt64
}

/// Runs the child until it has acknowledged at least `acks` signals, kills it
/// with SIGKILL and returns every acknowledgement it wrote.
/// Runs slog-node-child until it has acknowledged `wanted` signals, then
/// kills it; `window` sets the child's ``SignalNodeOptions/pendingWindow``.
/// With `acceptOnly`, the child's node is accept-only (SLOG_ACCEPT_ONLY:
/// nothing processed, batches of 500 over 16 partitions).
func runChildAndKill(directory: String, firstIndex: Int, acks wanted: Int, window: Int? = nil, acceptOnly: Bool = false) throws -> [Ack] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try nodeChildPath())
    process.arguments = acceptOnly ? [directory, String(firstIndex), "16", "500"] : [directory, String(firstIndex), "4", "25"]
    if window != nil || acceptOnly {
        var environment = ProcessInfo.processInfo.environment
        if let window { environment["SLOG_PENDING_WINDOW"] = String(window) }
        if acceptOnly { environment["SLOG_ACCEPT_ONLY"] = "1" }
        process.environment = environment
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let handle = pipe.fileHandleForReading
    var text = ""
    var acks: [Ack] = []
    func parse(_ complete: Bool) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        text = complete ? "" : (lines.popLast() ?? "")
        for line in lines where line.hasPrefix("ACK ") {
            let parts = line.split(separator: " ")
            if parts.count == 4, let sequence = UInt64(parts[3]) {
                acks.append(Ack(id: String(parts[1]), partition: String(parts[2]), sequence: sequence))
            }
        }
    }
    let deadline = Date().addingTimeInterval(60)
    while acks.count < wanted, Date() < deadline {
        let data = handle.availableData
        if data.isEmpty { break }
        text += String(decoding: data, as: UTF8.self)
        if text.contains("ERROR") { break }
        parse(false)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    // Acknowledgements written before the kill are still in the pipe.
    let rest = handle.readDataToEndOfFile()
    text += String(decoding: rest, as: UTF8.self)
    parse(true)
    #expect(!text.contains("ERROR"), "child failed: \(text)")
    #expect(process.terminationReason == .uncaughtSignal)
    return acks
}

@Suite("Crash recovery (reliability scenario #18)", .serialized)
struct CrashTests {
    @Test func everyAcknowledgedSignalIsProcessedExactlyOnceInPartitionOrder() async throws {
        let directory = temporaryDirectory("crash")
        defer { removeDirectory(directory) }
        var acknowledged: [Ack] = []
        var pendingAtRestart = 0
        // Several rounds: kill at a different point each time, reopen in between.
        for (round, wanted) in [300, 1200, 700].enumerated() {
            let acks = try runChildAndKill(directory: directory, firstIndex: round * 1_000_000, acks: wanted)
            #expect(acks.count >= wanted)
            acknowledged += acks

            var options = testOptions(clock: ManualClock(microseconds: SystemClock().nowMicroseconds()))
            options.clock = SystemClock()
            options.queueCapacity = 1_000_000
            let recorder = Recorder()
            let node = try SignalNode.open(nodeID: "parent", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
            #expect(!node.startup.cleanShutdown)
            pendingAtRestart += node.startup.pendingSignals
            #expect(await eventually { node.queueDepth == 0 })
            // A duplicate after the crash is still caught.
            let resend = Signal(content: .text("payload \(round * 1_000_000)"), type: "work", sourceID: "child", idempotencyKey: "key-\(round * 1_000_000)")
            if case .duplicate = try node.receive(resend) {} else { Issue.record("duplicate after crash not caught") }
            #expect(await node.gracefulShutdown(timeout: patience))
        }

        #expect(pendingAtRestart > 0, "the kills should leave accepted-but-unprocessed work")

        // Check the whole history in the log.
        var acceptance: [String: (sequence: UInt64, partition: String)] = [:]
        var processed: [String: Int] = [:]
        var processedOrder: [String: [UInt64]] = [:]
        for (record, decoded) in try records(in: directory) {
            switch decoded {
            case .signal(let signal) where signal.carriedFrom == nil:
                #expect(acceptance[signal.signal.id] == nil, "signal \(signal.signal.id) accepted twice")
                acceptance[signal.signal.id] = (record.sequence, record.partition)
            case .attempt(let attempt) where attempt.attempt.outcome == .processed:
                processed[attempt.attempt.signalID, default: 0] += 1
                if let accepted = acceptance[attempt.attempt.signalID] {
                    processedOrder[accepted.partition, default: []].append(accepted.sequence)
                }
            default:
                break
            }
        }
        for ack in acknowledged {
            #expect(acceptance[ack.id]?.sequence == ack.sequence, "acknowledged \(ack.id) missing or moved")
            #expect(processed[ack.id] == 1, "\(ack.id) processed \(processed[ack.id] ?? 0) times")
        }
        for (partition, sequences) in processedOrder {
            #expect(sequences == sequences.sorted(), "partition \(partition) processed out of order")
        }
        // Signals accepted but not acknowledged (the child died before writing
        // its line) were processed exactly once too.
        #expect(processed.values.allSatisfy { $0 == 1 })
        #expect(processed.count == acceptance.count, "every accepted signal was processed")
    }
}
