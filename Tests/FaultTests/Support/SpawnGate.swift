import Synchronization
@testable import SegmentLog

/// Keeps writer-lock acquisition apart from process spawning.
///
/// While a child is being spawned it holds a copy of every descriptor of the
/// test process until its exec has closed the close-on-exec ones. A log
/// closed in that window keeps its flock alive in the child's copy, and a
/// test that reopens the log at once is told it is locked (seen here). So
/// spawning — until the child reports that it runs — and opening a log for
/// writing both go through this gate and never overlap.
enum SpawnGate {
    private static let gate = Mutex(())

    static func spawning<T>(_ body: () throws -> T) rethrows -> T {
        try gate.withLock { _ in try body() }
    }

    /// `SegmentLog.open`, never overlapping a spawn.
    static func open(_ directory: String, options: LogOptions = LogOptions()) throws(SegmentLogError) -> SegmentLog {
        let result = gate.withLock { _ in
            Result { () throws(SegmentLogError) in try SegmentLog.open(directory: directory, options: options) }
        }
        return try result.get()
    }
}
