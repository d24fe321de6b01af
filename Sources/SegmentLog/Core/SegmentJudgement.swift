/// What the recovery rules make of one segment file: its header, the
/// batches that check out, and which unreadable bytes are a crash tail and
/// which are damage (docs/format.md, "Recovery rules"). Writable opens,
/// read-only opens and `verify` all judge segments this one way.
struct SegmentJudgement {
    /// How the end of a segment came to be damage rather than a crash tail.
    enum EndKind {
        /// Unreadable bytes begin before the durable point an index records.
        case beforeDurablePoint
        /// A sealed segment ends in unreadable bytes.
        case sealedTail
        /// The last segment's header is damaged, so its end is no crash tail.
        case afterDamagedHeader
        /// The file ends, at a batch boundary, before its durable point.
        case cutShort
    }

    var path: String
    var size: Int64
    /// The segment length the index file records, or the header size.
    var durable: Int64
    var header: SegmentHeader?
    /// Where and why the header failed its checks.
    var headerProblem: (offset: Int64, reason: String)?
    var headerDamage: DamagedRange?
    /// A sealed segment whose index matches its length, not read.
    var trusted = false
    /// The last segment's index, when its last block checked out again.
    var confirmed: SegmentIndex?
    var scan: SegmentScanner.Result
    /// A crash tail: only in the last segment, after its durable point.
    var tail: RecoveryReport.Tail?
    /// An unreadable or missing end that is damage, with the scan's reason.
    var endDamage: (kind: EndKind, range: DamagedRange, reason: String)?

    /// Every damaged range, in file order.
    var damage: [DamagedRange] {
        (headerDamage.map { [$0] } ?? []) + scan.damage + (endDamage.map { [$0.range] } ?? [])
    }
}
