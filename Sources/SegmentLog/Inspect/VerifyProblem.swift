/// One thing `verify` found wrong (or worth saying) about a log directory.
public struct VerifyProblem: Sendable, Equatable {
    /// How much a problem matters: an error is corruption; a warning is
    /// what a crash or an interrupted command leaves and a writable open
    /// clears; a note changes nothing.
    public enum Severity: String, Sendable, Comparable {
        case note, warning, error

        /// Orders severities from note to warning to error.
        ///
        /// - Parameters:
        ///   - a: the severity on the left.
        ///   - b: the severity on the right.
        /// - Returns: whether `a` matters less than `b`.
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
    }

    /// The stable identifier of a kind of problem (the codes of docs/cli.md).
    public enum Code: String, Sendable, CaseIterable {
        case segmentHeader = "segment-header"
        case damagedRange = "damaged-range"
        case sealedTail = "sealed-tail"
        case durableDamage = "durable-damage"
        case sequenceGap = "sequence-gap"
        case timeRegression = "time-regression"
        case indexUnreadable = "index-unreadable"
        case indexMismatch = "index-mismatch"
        case unreadableFile = "unreadable-file"
        case foreignFile = "foreign-file"
        case tornTail = "torn-tail"
        case indexMissing = "index-missing"
        case orphanIndex = "orphan-index"
        case temporaryFile = "temporary-file"
        case liveTail = "live-tail"
        case indexPrefix = "index-prefix"
        case indexNotCompared = "index-not-compared"
        case lostRecords = "lost-records"
        case removedDuringVerify = "removed-during-verify"

        /// Every code has one severity.
        public var severity: Severity {
            switch self {
            case .segmentHeader, .damagedRange, .sealedTail, .durableDamage, .sequenceGap, .timeRegression,
                 .indexUnreadable, .indexMismatch, .unreadableFile, .foreignFile:
                return .error
            case .tornTail, .indexMissing, .orphanIndex, .temporaryFile:
                return .warning
            case .liveTail, .indexPrefix, .indexNotCompared, .lostRecords, .removedDuringVerify:
                return .note
            }
        }
    }

    public var code: Code
    /// The file's name in the log directory (`-` for the log as a whole).
    public var file: String
    /// A byte offset in `file`, or nil when the problem is not at one place.
    public var offset: Int64?
    public var message: String
    /// The sequence numbers the problem makes unreadable, when it loses
    /// records; an upper bound of `UInt64.max` means how many is unknown.
    public var missingSequences: Range<UInt64>?

    public var severity: Severity { code.severity }

    /// Makes a problem.
    ///
    /// - Parameters:
    ///   - code: the kind of problem.
    ///   - file: the file's name in the log directory, or `-` for the log as a whole.
    ///   - offset: the byte offset in `file`, or nil when the problem is not at one place.
    ///   - message: the problem, in words.
    ///   - missingSequences: the sequence numbers the problem makes unreadable, if any.
    public init(code: Code, file: String, offset: Int64?, message: String, missingSequences: Range<UInt64>? = nil) {
        self.code = code
        self.file = file
        self.offset = offset
        self.message = message
        self.missingSequences = missingSequences
    }
}
