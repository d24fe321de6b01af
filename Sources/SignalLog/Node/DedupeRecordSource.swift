import Logging
import SegmentLog
import Synchronization

/// Where the dedupe store confirms a candidate: the signal record at the
/// stored sequence, read back from the log (docs/signals.md, "Dedupe").
///
/// This is the rare path — a real duplicate or conflict, or two keys whose
/// stored hash bits collide — so it reads one batch per confirmation. A
/// record that cannot be read is reported (logged, and counted in
/// ``failures``), never passed over in silence: the key it held can then
/// not be recognised as a duplicate.
final class DedupeRecordSource: Sendable {
    let log: SegmentLog
    let logger: Logger
    /// Candidates whose record could not be read or decoded.
    let failures = Atomic<Int>(0)
    /// The records of the batch read last: duplicates tend to come in
    /// runs (a file imported again), and their originals then lie in the
    /// same batches, so one read serves a batch's worth of confirmations.
    private let lastBatch = LockedValue<[LogRecord]>([])

    init(log: SegmentLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    /// The key and entry of the (not carried) signal record at `sequence`,
    /// or nil when there is none.
    func entry(at sequence: UInt64) -> (key: String, entry: DedupeEntry)? {
        do {
            guard let record = try record(at: sequence), record.kind == SignalRecordKind.signal.rawValue else { return nil }
            let decoded = try SignalRecord.decode(record.payload)
            guard decoded.carriedFrom == nil else { return nil }
            let signal = decoded.signal
            return (signal.idempotencyKey, DedupeEntry(signalID: signal.id, fingerprint: DedupeEntry.fingerprint(of: signal),
                                                       acceptedAt: record.timestamp, sequence: record.sequence))
        } catch {
            failures.add(1, ordering: .relaxed)
            logger.warning("dedupe: the signal record a key points to cannot be read; that key is not recognised as a duplicate",
                           metadata: ["sequence": "\(sequence)", "error": "\(error)"])
            return nil
        }
    }

    /// The record at `sequence`, from the batch read last or by reading its batch.
    private func record(at sequence: UInt64) throws -> LogRecord? {
        let cached = lastBatch.withLock { records -> LogRecord? in
            guard let first = records.first?.sequence, sequence >= first, sequence - first < UInt64(records.count) else { return nil }
            return records[Int(sequence - first)]
        }
        if let cached, cached.sequence == sequence { return cached }
        let reader = log.read(LogQuery(fromSequence: sequence, throughSequence: sequence))
        guard let batch = try reader.nextBatch() else { return nil }
        let records = try StoredBatch.decode(batch.bytes).records
        guard let first = records.first?.sequence, sequence >= first, sequence - first < UInt64(records.count),
              records[Int(sequence - first)].sequence == sequence else { return nil }
        lastBatch.withLock { $0 = records }
        return records[Int(sequence - first)]
    }
}
