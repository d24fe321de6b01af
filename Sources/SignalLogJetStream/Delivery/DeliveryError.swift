/// Why a delivery (sending to a remote node, or a node's inbox) stopped.
public enum DeliveryError: Error, Sendable, CustomStringConvertible {
    /// JetStream refused something or could not be reached.
    case jetStream(JetStreamError)
    /// The stream does not capture the node's delivery subject.
    case streamDoesNotCapture(stream: String, subject: String, subjects: [String])
    /// The receiving node's log refused the append (the messages stay in
    /// the stream, unacknowledged, and are delivered again).
    case storage(node: String, stream: String, streamSequence: UInt64, reason: String)
    /// The status reply of a node is not the JSON docs/jetstream.md describes.
    case malformedStatus(node: String, subject: String, text: String)

    public var description: String {
        switch self {
        case .jetStream(let error): return "\(error)"
        case let .streamDoesNotCapture(stream, subject, subjects):
            return "stream \(stream) captures \(subjects.joined(separator: ", ")), not the delivery subject \(subject)"
        case let .storage(node, stream, sequence, reason):
            return "node \(node) could not append the signal at sequence \(sequence) of stream \(stream): \(reason)"
        case let .malformedStatus(node, subject, text):
            return "node \(node) answered \(subject) with an unreadable status: \(text)"
        }
    }
}
