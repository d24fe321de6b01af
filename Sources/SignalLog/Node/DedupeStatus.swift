/// The state of a node's dedupe store (``SignalNode/dedupeStatus``).
public struct DedupeStatus: Sendable, Equatable {
    /// Keys held (acceptances within the live slices of the TTL).
    public var keys: Int
    /// ``SignalNodeOptions/dedupeMaxKeys``.
    public var maxKeys: Int
    /// Memory the stored keys take, in bytes.
    public var memoryBytes: Int
    /// Keys dropped before their TTL because more than ``maxKeys`` were
    /// accepted within it: duplicates of them were accepted as new.
    public var droppedEarly: Int
    /// Candidates whose signal record could not be read back to confirm them.
    public var unreadableRecords: Int
}
