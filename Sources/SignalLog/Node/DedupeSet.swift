import DequeModule
import SegmentLog

/// What the dedupe set remembers about a key.
struct DedupeEntry: Sendable, Equatable {
    var signalID: String
    /// ``fingerprint(of:)`` of the accepted signal.
    var fingerprint: UInt64
    /// Append time of the acceptance, microseconds; the key expires at acceptedAt + TTL.
    var acceptedAt: Int64
}

extension DedupeEntry {
    /// What tells a duplicate from a conflict: the fields of
    /// ``Signal/payloadFingerprint`` (type, source, content), hashed with
    /// the process's seeded `ByteHash`, a word at a time where FNV-1a takes
    /// a byte. Dedupe entries live in memory only (a rebuild computes them
    /// again), so the value need not be stable across processes.
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

/// The idempotency keys accepted within the dedupe TTL, with their expiry
/// order for eviction.
struct DedupeSet: Sendable {
    private var entries: [HashedString: DedupeEntry] = [:]
    /// Keys in acceptance order (so in expiry order, as append times never decrease).
    /// An entry is evicted only if it is still the acceptance queued (same
    /// append time); a key accepted again since has a later one.
    private var order: Deque<(expiresAt: Int64, key: HashedString, acceptedAt: Int64)> = []

    /// Keys held (expired ones stay until the next ``evictExpired(now:)``).
    var count: Int { entries.count }

    /// Keys waiting for their expiry (a key accepted again is queued again).
    var expiryQueueCount: Int { order.count }

    subscript(key: HashedString) -> DedupeEntry? { entries[key] }

    /// Records `entry` under `key` and returns what was there: the one
    /// lookup of the common case (a new key). Undo with ``restore(_:to:)``;
    /// queue the key for expiry with ``noteAccepted(_:acceptedAt:expiresAt:)``.
    mutating func claim(_ key: HashedString, for entry: DedupeEntry) -> DedupeEntry? {
        entries.updateValue(entry, forKey: key)
    }

    /// Puts back what ``claim(_:for:)`` replaced (nil: removes the key).
    mutating func restore(_ key: HashedString, to previous: DedupeEntry?) {
        if let previous { entries[key] = previous } else { entries.removeValue(forKey: key) }
    }

    /// Changes the acceptance time of a claimed key (when the append was
    /// stamped later than the claim assumed).
    mutating func setAcceptedAt(_ key: HashedString, _ acceptedAt: Int64) {
        entries[key]?.acceptedAt = acceptedAt
    }

    /// Queues a claimed key for eviction at `expiresAt`.
    mutating func noteAccepted(_ key: HashedString, acceptedAt: Int64, expiresAt: Int64) {
        order.append((expiresAt, key, acceptedAt))
    }

    /// Records an accepted key and queues it for eviction (a rebuild's path).
    mutating func remember(_ key: HashedString, entry: DedupeEntry, ttl: Int64) {
        entries[key] = entry
        order.append((entry.acceptedAt + ttl, key, entry.acceptedAt))
    }

    /// Drops keys whose TTL has passed (a key accepted at t is a duplicate
    /// strictly before t + TTL). A key accepted again since keeps its newer entry.
    mutating func evictExpired(now: Int64) {
        while let first = order.first, first.expiresAt <= now {
            order.removeFirst()
            if entries[first.key]?.acceptedAt == first.acceptedAt { entries.removeValue(forKey: first.key) }
        }
    }

    /// Keys accepted within `ttl` before `now`, by their text.
    func unexpired(now: Int64, ttl: Int64) -> [String: DedupeEntry] {
        var keys: [String: DedupeEntry] = [:]
        for (key, entry) in entries where entry.acceptedAt + ttl > now { keys[key.text] = entry }
        return keys
    }
}
