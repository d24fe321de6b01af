/// How signals for one node are named in a delivery stream
/// (docs/jetstream.md, "Cross-machine delivery"): the subject senders
/// publish to, the subject the node answers flow-control questions on, and
/// the durable consumer it reads with.
public struct DeliverySubjects: Sendable, Equatable {
    /// The first subject token of deliveries (default `signallog-delivery`).
    public let prefix: String
    /// The receiving node's id, as given.
    public let nodeID: String
    /// ``nodeID`` as one subject token (``SubjectToken/token(_:)``).
    public let nodeToken: String

    /// Header names of a delivery message.
    public enum Header {
        /// The server's de-duplication id: `<node token>:<signal id>`.
        public static let messageID = "Nats-Msg-Id"
        /// The signal's id, for tools that look at a stream.
        public static let signalID = "SignalLog-Signal-Id"
    }

    public init(prefix: String = "signallog-delivery", nodeID: String) {
        self.prefix = prefix
        self.nodeID = nodeID
        self.nodeToken = SubjectToken.token(nodeID)
    }

    /// `<prefix>.<node>`: where signals for the node are published.
    public var deliver: String { "\(prefix).\(nodeToken)" }

    /// `<prefix>.>`: what a delivery stream created here captures.
    public var streamSubject: String { "\(prefix).>" }

    /// `<prefix>-status.<node>`: requests here are answered by the node's
    /// inbox with its queue depth and capacity (never stored in a stream).
    public var status: String { "\(prefix)-status.\(nodeToken)" }

    /// `inbox-<node>`: the durable pull consumer the node reads with. A
    /// consumer name may hold no `.`, `*` or `>`, which the token never does.
    public var consumerName: String { "inbox-\(nodeToken)" }

    /// `<node>:<signal id>`: a publish retried inside the stream's duplicate
    /// window is dropped by the server.
    public func messageID(signalID: String) -> String { "\(nodeToken):\(signalID)" }
}
