import SegmentLog

/// The three durability levels compared, each with its SignalLog policy and
/// the SQLite `synchronous` setting that promises the same.
enum DurabilityPolicy: String, CaseIterable, Codable, Sendable {
    /// SignalLog `os` vs SQLite `synchronous=OFF`: survives a process crash, not a power loss.
    case os
    /// SignalLog `interval` vs SQLite `synchronous=NORMAL` (WAL syncs at checkpoints):
    /// a power loss may cost the last moments.
    case interval
    /// SignalLog `always` (group commit) vs SQLite `synchronous=FULL`: every
    /// acknowledged append is on stable storage.
    case always

    func segmentLog(intervalMilliseconds: Int) -> Durability {
        switch self {
        case .os: return .os
        case .interval: return .interval(milliseconds: intervalMilliseconds)
        case .always: return .always
        }
    }

    var sqliteSynchronous: String {
        switch self {
        case .os: return "OFF"
        case .interval: return "NORMAL"
        case .always: return "FULL"
        }
    }
}

/// Append times of the benchmark's logs: a ``ManualClock`` stepped by one
/// microsecond per record before each batch, so both systems store identical
/// timestamps and every time window holds an exactly known set of records.
enum Timeline {
    /// The first append time, in microseconds since the epoch.
    static let origin: Int64 = 1_700_000_000_000_000

    /// The append time of record `i` when records are appended in batches of `batch`.
    static func timestamp(ofRecord i: Int, batch: Int, total: Int) -> Int64 {
        let start = (i / batch) * batch
        let length = min(batch, total - start)
        return origin + Int64(start + length)
    }
}
