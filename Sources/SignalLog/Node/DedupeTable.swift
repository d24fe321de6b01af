/// The dedupe store's memory: one 64-bit slot per key, in 256 open-addressing
/// tables (shards) with linear probing, so that growing one shard copies a
/// 256th of the store, never the whole of it.
///
/// A slot packs 32 bits of the key's hash (the *tag*, which also picks the
/// slot: no other copy of the hash is kept) and the low 32 bits of the log
/// sequence of the key's signal record; 0 is an empty slot. A slot holds
/// no text, id or time: a tag match is only a candidate, which the caller
/// confirms against the record at its sequence (``DedupeSet``), so
/// colliding tags cost a read, never a wrong answer.
///
/// Slots are not removed one by one: a slot whose sequence is below the
/// caller's *horizon* (every key accepted before it has expired) is dead,
/// skipped by lookups, reused by inserts and dropped when its shard is
/// rebuilt. Chains therefore never break.
struct DedupeTable: Sendable {
    static let shardCount = 256
    static let minimumCapacity = 16
    /// A shard is rebuilt when this fraction of its slots is occupied (live or dead).
    static let maximumLoad = (numerator: 13, denominator: 16)

    private(set) var shards: [[UInt64]]
    /// Occupied slots (live or dead) per shard.
    private var occupied: [Int]

    init() {
        shards = Array(repeating: [UInt64](repeating: 0, count: Self.minimumCapacity), count: Self.shardCount)
        occupied = Array(repeating: 0, count: Self.shardCount)
    }

    /// A table with the given shards (a snapshot's); nil when one is not a
    /// power of two of at least ``minimumCapacity`` slots.
    init?(shards: [[UInt64]]) {
        guard shards.count == Self.shardCount,
              shards.allSatisfy({ $0.count >= Self.minimumCapacity && $0.count.nonzeroBitCount == 1 }) else { return nil }
        self.shards = shards
        occupied = shards.map { shard in shard.reduce(0) { $1 == 0 ? $0 : $0 + 1 } }
    }

    /// Bytes held by the slots.
    var memoryBytes: Int { shards.reduce(0) { $0 + $1.count * 8 } }

    static func shard(of hash: UInt64) -> Int { Int(truncatingIfNeeded: hash & 0xFF) }
    static func tag(of hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) | 1 }
    static func pack(tag: UInt32, sequence: UInt64) -> UInt64 { UInt64(tag) << 32 | (sequence & 0xFFFF_FFFF) }

    /// The sequence a slot's low 32 bits stand for: the newest one below
    /// `reference` (one past the newest sequence stored) with those bits.
    static func sequence(of slot: UInt64, reference: UInt64) -> UInt64? {
        let low = UInt32(truncatingIfNeeded: slot)
        var distance = UInt64(UInt32(truncatingIfNeeded: reference) &- low)
        if distance == 0 { distance = 1 << 32 }
        return reference >= distance ? reference - distance : nil
    }

    /// Calls `body` with the sequence of every live slot whose tag is
    /// `hash`'s, until it returns false.
    func forEachCandidate(hash: UInt64, horizon: UInt64, reference: UInt64, _ body: (UInt64) -> Bool) {
        let shard = shards[Self.shard(of: hash)]
        let tag = Self.tag(of: hash)
        let mask = shard.count - 1
        var index = Int(tag >> 1) & mask
        while true {
            let slot = shard[index]
            if slot == 0 { return }
            if UInt32(truncatingIfNeeded: slot >> 32) == tag, let sequence = Self.sequence(of: slot, reference: reference),
               sequence >= horizon {
                if !body(sequence) { return }
            }
            index = (index + 1) & mask
        }
    }

    /// Stores `sequence` under `hash`: over the slot of `replacing` if the
    /// key's chain holds it, else in the chain's first dead slot, else in
    /// the empty slot that ends it.
    mutating func insert(hash: UInt64, sequence: UInt64, replacing: UInt64?, horizon: UInt64, reference: UInt64) {
        let number = Self.shard(of: hash)
        let tag = Self.tag(of: hash)
        let packed = Self.pack(tag: tag, sequence: sequence)
        let mask = shards[number].count - 1
        var index = Int(tag >> 1) & mask
        var reusable: Int?
        let placed: Bool = shards[number].withUnsafeMutableBufferPointer { shard in
            while true {
                let slot = shard[index]
                if slot == 0 { break }
                let stored = Self.sequence(of: slot, reference: reference)
                if let replacing, UInt32(truncatingIfNeeded: slot >> 32) == tag, stored == replacing {
                    shard[index] = packed
                    return true
                }
                if reusable == nil, stored.map({ $0 < horizon }) ?? true { reusable = index }
                index = (index + 1) & mask
            }
            if let reusable {
                shard[reusable] = packed
                return true
            }
            shard[index] = packed
            return false
        }
        if placed { return }
        occupied[number] += 1
        if occupied[number] * Self.maximumLoad.denominator >= shards[number].count * Self.maximumLoad.numerator {
            rebuild(number, horizon: horizon, reference: reference)
        }
    }

    /// Rebuilds shard `number` with its live slots only, at a capacity
    /// that leaves it at most half full.
    mutating func rebuild(_ number: Int, horizon: UInt64, reference: UInt64) {
        let old = shards[number]
        var live = 0
        for slot in old where slot != 0 {
            if let sequence = Self.sequence(of: slot, reference: reference), sequence >= horizon { live += 1 }
        }
        var capacity = Self.minimumCapacity
        while capacity < live * 2 { capacity *= 2 }
        var fresh = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for slot in old where slot != 0 {
            guard let sequence = Self.sequence(of: slot, reference: reference), sequence >= horizon else { continue }
            var index = Int(UInt32(truncatingIfNeeded: slot >> 32) >> 1) & mask
            while fresh[index] != 0 { index = (index + 1) & mask }
            fresh[index] = slot
        }
        shards[number] = fresh
        occupied[number] = live
    }

    /// Rebuilds every shard (drops every dead slot).
    mutating func rebuildAll(horizon: UInt64, reference: UInt64) {
        for number in 0..<Self.shardCount { rebuild(number, horizon: horizon, reference: reference) }
    }

    /// Empties the table and gives its memory back.
    mutating func removeAll() { self = DedupeTable() }

    /// The sequences of every live slot (for listing the window; not a hot path).
    func liveSequences(horizon: UInt64, reference: UInt64) -> [UInt64] {
        var sequences: [UInt64] = []
        for shard in shards {
            for slot in shard where slot != 0 {
                if let sequence = Self.sequence(of: slot, reference: reference), sequence >= horizon { sequences.append(sequence) }
            }
        }
        return sequences.sorted()
    }
}

extension DedupeTable {
    /// Whether `hash`'s home slot is empty (then the key cannot be held).
    func isEmptyChain(hash: UInt64) -> Bool {
        let shard = shards[Self.shard(of: hash)]
        return shard[Int(Self.tag(of: hash) >> 1) & (shard.count - 1)] == 0
    }
}
