import Synchronization

/// Objects the tool keeps until the process exits instead of releasing.
///
/// An accept-only node holds every signal it accepted in memory as pending
/// work; after an import of a million signals, releasing that state took
/// about a tenth of the whole run's CPU time (measured with
/// tools/bench/ingest-path.sh and `perf`), only to hand memory back to a
/// process about to exit. A command that has closed such an object hands it
/// here once it has no further use for it.
enum ProcessLifetime {
    private static let kept = Mutex<[any AnyObject & Sendable]>([])

    /// Keeps `object` alive until the process exits.
    static func keepUntilExit(_ object: any AnyObject & Sendable) {
        kept.withLock { $0.append(object) }
    }
}
