import TestSupport
@testable import SegmentLog

/// What one reader returned: the records before it stopped and the error it
/// stopped with, if any.
struct QueryRun {
    var records: [LogRecord] = []
    var error: SegmentLogError?

    init(_ log: SegmentLog, _ query: LogQuery) {
        let reader = log.read(query)
        do {
            while let record = try reader.next() { records.append(record) }
        } catch {
            self.error = error
        }
    }

    var sequences: [UInt64] { records.map(\.sequence) }

    /// The first returned record that is not the derived one for its sequence.
    var corruptRecord: String? { records.lazy.compactMap(DerivedRecord.mismatch).first }

    /// True if the run stopped with a corruption error naming `path` at `offset`.
    func stoppedAt(path: String, offset: Int64) -> Bool {
        if case .corruption(let errorPath, let errorOffset, _) = error { return errorPath == path && errorOffset == offset }
        return false
    }
}
