import Foundation

/// What a node's inbox answers on its status subject: its queue depth and
/// capacity now, so that a sender on another machine applies flow control
/// against the same numbers a local sender would.
///
/// On the wire: `{"node":"b","queue_depth":12,"queue_capacity":1000}`.
public struct NodeStatus: Sendable, Equatable, Codable {
    public var node: String
    /// Accepted-but-unfinished signals (``SignalLog/SignalNode/queueDepth``).
    public var queueDepth: Int
    public var queueCapacity: Int

    public init(node: String, queueDepth: Int, queueCapacity: Int) {
        self.node = node
        self.queueDepth = queueDepth
        self.queueCapacity = queueCapacity
    }

    enum CodingKeys: String, CodingKey {
        case node, queueDepth = "queue_depth", queueCapacity = "queue_capacity"
    }

    func encoded() -> [UInt8] { JetStreamAPI.encode(self) }

    static func decode(_ bytes: [UInt8]) -> NodeStatus? {
        try? JSONDecoder().decode(NodeStatus.self, from: Data(bytes))
    }
}
