import SegmentLog

/// A string with a 64-bit hash of its text (``ByteHash``) computed once, for
/// tables that hold hundreds of thousands of long, similar keys (the dedupe
/// set's idempotency keys, a rebuild's pending signal ids).
///
/// Hashing and comparing such keys as `String`s dominated acceptance and
/// rebuilds: every lookup and every growth of a table re-hashed the text, and
/// probing compared long common prefixes byte by byte. Keyed by this type, a
/// table hashes one integer and compares text only when the numbers already
/// match, so distinct strings whose hashes collide stay distinct.
struct HashedString: Hashable, Sendable {
    let text: String
    let hash: UInt64

    init(_ text: String) {
        self.text = text
        hash = ByteHash.hash(text)
    }

    /// A key with a given hash (tests use it to make collisions).
    init(_ text: String, hash: UInt64) {
        self.text = text
        self.hash = hash
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// The value `Set` and `Dictionary` bucket by. `Hashable`'s default runs
    /// the full seeded hasher over the 64-bit hash on every lookup and every
    /// table growth, which profiles showed as a quarter of acceptance; one
    /// full-width multiply of the already computed hash with the table's seed
    /// (``ByteHash/spread(_:seed:)``) spreads it over all bits just as well
    /// for bucketing, and equal keys still get equal values.
    func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: ByteHash.spread(hash, seed: UInt64(UInt(bitPattern: seed))))
    }

    static func == (lhs: HashedString, rhs: HashedString) -> Bool {
        lhs.hash == rhs.hash && lhs.text == rhs.text
    }
}
