/// The changes a repair makes to a damaged log, worked out from a
/// ``VerifyReport`` before anything is touched, so a dry run shows exactly
/// what applying would do (see ``SegmentLog/planRepair(directory:lock:options:)``).
///
/// Unreadable bytes are never deleted: they are copied into
/// `SEGMENT.OFFSET.corrupt` files beside the log first (which the engine
/// ignores), and each lost record is replaced by a ``LostRecord``
/// placeholder, so sequence numbers stay gap-free and none is handed out twice.
public struct RepairPlan: Sendable {
    /// The log directory the plan is for.
    public var directory: String
    /// What will change, in the order it is applied.
    public var steps: [RepairStep] = []
    /// Problems a repair cannot fix, reported and left alone.
    public var unrepairable: [String] = []
    /// What the engine's writable open after the steps will do (remove
    /// leftovers, rebuild missing indexes), said but not done by the steps.
    public var engineNotes: [String] = []
    /// Records that are unreadable and will be replaced by placeholders.
    public var lostRecords: UInt64 = 0
    /// The verification the plan was made from.
    public var report: VerifyReport
    /// The writer lock held while the plan was made; a plan made without
    /// one is a dry run and cannot be applied.
    let lock: WriterLock?

    /// Whether there is nothing to do.
    public var isEmpty: Bool { steps.isEmpty && engineNotes.isEmpty && unrepairable.isEmpty }
}

/// One change of a ``RepairPlan``.
public struct RepairStep: Sendable {
    /// What the step does, in terms a program can act on.
    public enum Action: Sendable, Equatable {
        /// Copy the torn tail of the active segment into `keptIn`, then cut it off.
        case cutTornTail(segment: String, offset: Int64, bytes: Int64, keptIn: String)
        /// Rewrite a damaged segment: its good batches unchanged, each
        /// unreadable stretch copied into a `.corrupt` file and replaced by
        /// `placeholders` placeholder records; its index (if any) set aside.
        case rewriteSegment(segment: String, keptIn: [String], placeholders: UInt64)
        /// Create a segment of placeholders for the sequences of a missing segment.
        case createMissingSegment(segment: String, sequences: Range<UInt64>)
        /// Rename a damaged or contradicting index file to `keptAs`; the
        /// writable open after the steps rebuilds it from its segment.
        case setIndexAside(index: String, keptAs: String)
    }

    public var action: Action
    /// One line saying what the step does and why.
    public var summary: String
    /// The exact changes.
    let work: RepairWork
}

/// The file changes behind a ``RepairStep``.
enum RepairWork: Sendable {
    /// A stretch of a segment being rewritten.
    enum Piece: Sendable {
        case batch(offset: Int64, length: Int, maxTime: Int64)
        case damage(offset: Int64, length: Int64, missing: Range<UInt64>, reason: String)
    }

    case cutTail(path: String, offset: Int64, length: Int64, corrupt: String)
    case rewrite(path: String, base: UInt64, createdAt: Int64, startTime: Int64, pieces: [Piece], index: String?)
    case create(path: String, missing: Range<UInt64>, time: Int64)
    case setAside(path: String, to: String)
}

/// What applying a ``RepairPlan`` did.
public struct RepairOutcome: Sendable {
    /// The steps applied, in order.
    public var applied: [RepairStep] = []
    /// What the engine's writable open afterwards did.
    public var recovery: RecoveryReport
    /// The log verified again afterwards.
    public var after: VerifyReport
    /// Whether the log verifies without errors and nothing was left unrepaired.
    public var isRepaired: Bool
}

/// Why a repair could not be applied or finished.
public enum RepairError: Error, Sendable, CustomStringConvertible {
    /// The plan was not made under this writer lock, or the lock is no
    /// longer held: a writer could have appended what the plan knows
    /// nothing about.
    case notLocked(directory: String)
    /// Step `step` (1-based) failed; the steps before it were applied, and
    /// planning and applying again continues from there.
    case stepFailed(step: Int, summary: String, error: SegmentLogError)
    /// The repaired log does not open for writing.
    case reopenFailed(SegmentLogError)

    public var description: String {
        switch self {
        case let .notLocked(directory):
            return "\(directory): a repair is applied only under the writer lock its plan was made under"
        case let .stepFailed(step, _, error):
            return "step \(step) failed: \(error); steps before it were applied, and running repair again continues from there"
        case let .reopenFailed(error):
            return "the repaired log does not open for writing: \(error)"
        }
    }
}
