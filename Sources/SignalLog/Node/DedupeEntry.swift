import SegmentLog

/// What the dedupe store knows about an accepted key once it has confirmed
/// it against the key's signal record (or, for a signal of the batch under
/// way, what acceptance is about to write).
struct DedupeEntry: Sendable, Equatable {
    var signalID: String
    /// ``fingerprint(of:)`` of the accepted signal.
    var fingerprint: UInt64
    /// Append time of the acceptance, microseconds; the key expires at acceptedAt + TTL.
    var acceptedAt: Int64
    /// Sequence of the signal record (for a claim not yet written: the one it will get).
    var sequence: UInt64
}

extension DedupeEntry {
    /// What tells a duplicate from a conflict: the fields of
    /// ``Signal/payloadFingerprint`` (type, source, content), hashed with
    /// the process's seeded `ByteHash`, a word at a time where FNV-1a takes
    /// a byte. It is computed again from the signal record whenever a key
    /// is confirmed, never stored, so it need not be stable across processes.
    static func fingerprint(of signal: Signal) -> UInt64 {
        var state = ByteHash.spread(ByteHash.hash(signal.type), seed: 0x6A09_E667_F3BC_C908)
        state = ByteHash.spread(state, seed: ByteHash.hash(signal.sourceID))
        switch signal.content {
        case .text(let text):
            state = ByteHash.spread(state, seed: 1)
            state = ByteHash.spread(state, seed: ByteHash.hash(text))
        case .json(let value):
            state = ByteHash.spread(state, seed: 2)
            state = ByteHash.spread(state, seed: ByteHash.hash(value.serialized()))
        }
        return state
    }
}
