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

    init(log: SegmentLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    /// The key and entry of the (not carried) signal record at `sequence`,
    /// or nil when there is none.
    func entry(at sequence: UInt64) -> (key: String, entry: DedupeEntry)? {
        let reader = log.read(LogQuery(fromSequence: sequence, throughSequence: sequence, kinds: [SignalRecordKind.signal.rawValue]))
        do {
            guard let record = try reader.next() else { return nil }
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
}
