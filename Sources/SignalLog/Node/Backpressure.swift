/// A queue too full to take more, as depth against capacity: the one shape
/// of backpressure, whether a node's `receive` refuses at its capacity
/// (``RejectionReason/backpressure(_:)``), a sender refuses a target past
/// the refusal threshold (``SendOutcome/refused(_:)``), or a send warns that
/// a target crossed the warning threshold (``SendReport/TargetOutcome/warning``).
public struct Backpressure: Sendable, Equatable, CustomStringConvertible {
    /// Signals accepted and not yet finished.
    public var depth: Int
    /// The queue's capacity.
    public var capacity: Int

    /// Makes a reading of a queue.
    ///
    /// - Parameters:
    ///   - depth: signals accepted and not yet finished.
    ///   - capacity: the queue's capacity.
    public init(depth: Int, capacity: Int) {
        self.depth = depth
        self.capacity = capacity
    }

    /// Depth / capacity (capacity below 1 counts as 1).
    public var fill: Double { Double(depth) / Double(max(1, capacity)) }

    public var description: String { "queue depth \(depth) of capacity \(capacity)" }
}
