import DequeModule
import SegmentLog

/// The idempotency keys accepted within the dedupe TTL, in fixed-size
/// memory per key (docs/signals.md, "Dedupe").
///
/// Each key costs one 64-bit slot of a ``DedupeTable`` (part of its hash
/// and the sequence of its signal record); nothing else is kept per key. A
/// lookup that finds the key's hash bits confirms the candidate against the
/// signal record at that sequence (``DedupeRecordSource``), which gives the
/// exact key text, the original signal id, the fingerprint and the
/// acceptance time: duplicates and conflicts are decided exactly as if every
/// key were held in full.
///
/// Expiry is by *slices*: consecutive acceptances grouped until a slice
/// spans a sixteenth of the TTL or holds a sixteenth of ``maxKeys``. When
/// a slice's newest key has expired, every sequence before its end is
/// below the *horizon* and its slots are dead. A key inside a live slice
/// whose own time has passed still expires exactly: the confirmed
/// acceptance time says so.
///
/// At most ``maxKeys`` keys are held. Beyond that the oldest slice is
/// dropped before its keys expired, which is counted (``droppedEarly``),
/// reported through ``onEarlyDrop`` and documented: a duplicate of a
/// dropped key is accepted as new.
///
/// Claims of the batch under way are held in full (``claim(_:for:)``) until
/// their records are appended (``noteAccepted(_:sequence:acceptedAt:)``).
struct DedupeSet: Sendable {
    /// A run of acceptances that expires together.
    struct Slice: Sendable, Equatable {
        var firstSequence: UInt64
        var endSequence: UInt64
        var count: Int
        var firstTime: Int64
        var lastTime: Int64
    }

    /// The hash seed of the stored slots (kept in the snapshot, so a later
    /// process finds the same slots).
    let seed: UInt64
    let ttl: Int64
    let maxKeys: Int
    private(set) var table = DedupeTable()
    private(set) var slices: Deque<Slice> = []
    /// Every sequence below it belongs to an expired (or dropped) slice.
    private(set) var horizon: UInt64 = 0
    /// One past the newest sequence stored.
    private(set) var reference: UInt64 = 0
    /// Keys dropped before their TTL because the store was full.
    private(set) var droppedEarly = 0
    /// Keys stored since the last ``markSnapshotted()``.
    private(set) var storedSinceSnapshot = 0
    /// Reads candidates back from the log; without it nothing stored can be confirmed.
    var source: DedupeRecordSource?
    /// Called with the number of keys and the newest acceptance time of a
    /// slice dropped before its keys expired.
    var onEarlyDrop: (@Sendable (_ keys: Int, _ newestAcceptance: Int64) -> Void)?

    private struct Staged {
        var entry: DedupeEntry
        /// The stored sequence this claim takes over.
        var replaces: UInt64?
    }
    private var staged: [HashedString: Staged] = [:]

    /// - Parameters:
    ///   - ttl: the dedupe TTL, microseconds.
    ///   - maxKeys: keys held at most (see ``SignalNodeOptions/dedupeMaxKeys``).
    ///   - seed: the hash seed (a snapshot's, or a new random one).
    init(ttl: Int64, maxKeys: Int, seed: UInt64 = .random(in: .min ... .max)) {
        self.ttl = ttl
        self.maxKeys = max(16, maxKeys)
        self.seed = seed
    }

    /// A store taken over from a snapshot.
    init(ttl: Int64, maxKeys: Int, seed: UInt64, table: DedupeTable, slices: Deque<Slice>, horizon: UInt64, reference: UInt64) {
        self.init(ttl: ttl, maxKeys: maxKeys, seed: seed)
        self.table = table
        self.slices = slices
        self.horizon = horizon
        self.reference = reference
    }

    /// `text` as a key of this store (hashed with its seed).
    func key(_ text: String) -> HashedString { Self.key(text, seed: seed) }

    static func key(_ text: String, seed: UInt64) -> HashedString {
        HashedString(text, hash: ByteHash.hash(text, seed: seed))
    }

    /// Keys held: every acceptance in a live slice (a key accepted again
    /// counts twice; expired keys count until their slice goes).
    var count: Int { slices.reduce(0) { $0 + $1.count } }

    /// Bytes of memory the stored keys take.
    var memoryBytes: Int { table.memoryBytes }

    /// The entry of `key`: a claim of the batch under way, or the newest
    /// stored acceptance confirmed against its record (nil: none held).
    subscript(key: HashedString) -> DedupeEntry? {
        if let claim = staged[key] { return claim.entry }
        return stored(key)
    }

    private func stored(_ key: HashedString) -> DedupeEntry? {
        guard let source else { return nil }
        var found: DedupeEntry?
        table.forEachCandidate(hash: key.hash, horizon: horizon, reference: reference) { sequence in
            if let confirmed = source.entry(at: sequence), confirmed.key == key.text,
               found.map({ $0.sequence < confirmed.entry.sequence }) ?? true {
                found = confirmed.entry
            }
            return true
        }
        return found
    }

    /// Claims `key` for `entry` (whose sequence is the one its record will
    /// get) and returns what was there: the one lookup of the common case
    /// (a new key). Undo with ``restore(_:to:)``; store it with
    /// ``noteAccepted(_:sequence:acceptedAt:)`` once the record is written.
    mutating func claim(_ key: HashedString, for entry: DedupeEntry) -> DedupeEntry? {
        if let previous = staged[key] {
            staged[key] = Staged(entry: entry, replaces: previous.replaces)
            return previous.entry
        }
        let previous = stored(key)
        staged[key] = Staged(entry: entry, replaces: previous?.sequence)
        return previous
    }

    /// Puts back what ``claim(_:for:)`` replaced (nil: the key was not held).
    mutating func restore(_ key: HashedString, to previous: DedupeEntry?) {
        guard let claim = staged[key] else { return }
        if let previous, previous.sequence >= reference {
            staged[key] = Staged(entry: previous, replaces: claim.replaces)
        } else {
            staged.removeValue(forKey: key)
        }
    }

    /// Changes the acceptance time of a claimed key (when the append was
    /// stamped later than the claim assumed).
    mutating func setAcceptedAt(_ key: HashedString, _ acceptedAt: Int64) {
        staged[key]?.entry.acceptedAt = acceptedAt
    }

    /// Stores a claimed key whose signal record was written at `sequence`.
    mutating func noteAccepted(_ key: HashedString, sequence: UInt64, acceptedAt: Int64) {
        let replaces = staged.removeValue(forKey: key)?.replaces
        store(key, sequence: sequence, acceptedAt: acceptedAt, replacing: replaces)
    }

    /// Records an accepted key (a rebuild's path: the log's records in order).
    mutating func remember(_ key: HashedString, sequence: UInt64, acceptedAt: Int64) {
        guard sequence >= reference else { return }
        let replaces = table.isEmptyChain(hash: key.hash) ? nil : stored(key)?.sequence
        store(key, sequence: sequence, acceptedAt: acceptedAt, replacing: replaces)
    }

    private mutating func store(_ key: HashedString, sequence: UInt64, acceptedAt: Int64, replacing: UInt64?) {
        if sequence >> 31 != reference >> 31, reference > 0 {
            // Slots keep 32 bits of their sequence: sweep the dead ones out
            // every 2^31 records, so none lives long enough to be misread.
            table.rebuildAll(horizon: horizon, reference: reference)
        }
        reference = max(reference, sequence + 1)
        table.insert(hash: key.hash, sequence: sequence, replacing: replacing, horizon: horizon, reference: reference)
        storedSinceSnapshot += 1
        let sliceSpan = max(1, ttl / 16), sliceKeys = max(1, maxKeys / 16)
        if var last = slices.last, acceptedAt - last.firstTime < sliceSpan, last.count < sliceKeys {
            last.endSequence = sequence + 1
            last.count += 1
            last.lastTime = max(last.lastTime, acceptedAt)
            slices[slices.count - 1] = last
        } else {
            slices.append(Slice(firstSequence: sequence, endSequence: sequence + 1, count: 1, firstTime: acceptedAt, lastTime: acceptedAt))
        }
        var held = count
        while held > maxKeys, let oldest = slices.first {
            slices.removeFirst()
            horizon = max(horizon, oldest.endSequence)
            held -= oldest.count
            droppedEarly += oldest.count
            onEarlyDrop?(oldest.count, oldest.lastTime)
        }
    }

    /// Drops the slices whose every key has expired (a key accepted at t
    /// is a duplicate strictly before t + TTL).
    mutating func evictExpired(now: Int64) {
        while let first = slices.first, first.lastTime + ttl <= now {
            slices.removeFirst()
            horizon = max(horizon, first.endSequence)
        }
        if slices.isEmpty, staged.isEmpty, table.memoryBytes > DedupeTable.shardCount * DedupeTable.minimumCapacity * 8 {
            table.removeAll()
            horizon = reference
        }
    }

    /// Keys accepted within `ttl` before `now`, by their text (read back
    /// from the log: for comparing projections, not a hot path).
    func unexpired(now: Int64, ttl: Int64) -> [String: DedupeEntry] {
        var keys: [String: DedupeEntry] = [:]
        guard let source else { return keys }
        for sequence in table.liveSequences(horizon: horizon, reference: reference) {
            guard let (text, entry) = source.entry(at: sequence), entry.acceptedAt + ttl > now else { continue }
            keys[text] = entry
        }
        return keys
    }

    /// Notes that a snapshot now holds every stored key.
    mutating func markSnapshotted() { storedSinceSnapshot = 0 }
}
