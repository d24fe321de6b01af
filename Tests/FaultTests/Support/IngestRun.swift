import Foundation
@testable import SegmentLog

/// One `slog-crash-child ingest` run seen from the parent: the highest
/// sequences it reported as attempted and acknowledged, and how it ended.
struct IngestRun {
    var attempted: UInt64?
    var acknowledged: UInt64?
    var acknowledgements = 0
    var finished = false
    var killed = false
    var exitCode: Int32?
    var lines: [String] = []

    /// Runs the child and, if `killAfter` is given, SIGKILLs it once that many
    /// acknowledgements have arrived (plus `extraMicroseconds` of busy waiting,
    /// to vary where in the write path the signal lands). Every line written
    /// before the death is read, so late acknowledgements still count.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], killAfter: Int? = nil, extraMicroseconds: Int = 0,
        previous: IngestRun? = nil
    ) throws -> IngestRun {
        var run = IngestRun(attempted: previous?.attempted, acknowledged: previous?.acknowledged)
        let child = try ChildProcess(["ingest"] + arguments, environment: environment)
        var sentKill = false
        while let line = child.readLine() {
            run.note(line)
            if let killAfter, !sentKill, run.acknowledgements >= killAfter {
                spin(microseconds: extraMicroseconds)
                child.kill()
                sentKill = true
            }
        }
        run.killed = child.wasKilled
        run.exitCode = child.exitCode
        return run
    }

    mutating func note(_ line: String) {
        lines.append(line)
        if lines.count > 8 { lines.removeFirst() }
        let fields = line.split(separator: " ")
        switch fields.first {
        case "T": attempted = fields.last.flatMap { UInt64($0) }
        case "A":
            acknowledged = fields.last.flatMap { UInt64($0) }
            acknowledgements += 1
        case "D": finished = true
        default: break
        }
    }

    /// Busy-waits, to choose the moment of a kill (not to wait for anything).
    private static func spin(microseconds: Int) {
        guard microseconds > 0 else { return }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var now = start
        repeat {
            clock_gettime(CLOCK_MONOTONIC, &now)
        } while (now.tv_sec - start.tv_sec) * 1_000_000 + (now.tv_nsec - start.tv_nsec) / 1_000 < microseconds
    }
}
