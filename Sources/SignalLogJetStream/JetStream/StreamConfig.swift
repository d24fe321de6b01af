/// The settings of a stream this module creates (`$JS.API.STREAM.CREATE`).
public struct StreamConfig: Sendable, Equatable, Codable {
    public var name: String
    /// Subjects the stream captures (wildcards allowed).
    public var subjects: [String]
    /// `file` or `memory`.
    public var storage: String = "file"
    /// Copies kept in a cluster (1, 3 or 5).
    public var replicas: Int = 1
    /// How long the server remembers `Nats-Msg-Id`s to drop duplicates, nanoseconds.
    public var duplicateWindow: Int64 = 120_000_000_000
    /// Limits (-1: none).
    public var maxMessages: Int64 = -1
    public var maxBytes: Int64 = -1
    public var maxMessageSize: Int32 = -1
    /// Oldest message kept, nanoseconds (0: forever).
    public var maxAge: Int64 = 0

    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }

    enum CodingKeys: String, CodingKey {
        case name, subjects, storage, replicas = "num_replicas", duplicateWindow = "duplicate_window"
        case maxMessages = "max_msgs", maxBytes = "max_bytes", maxMessageSize = "max_msg_size", maxAge = "max_age"
        case retention, discard
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(subjects, forKey: .subjects)
        try c.encode(storage, forKey: .storage)
        try c.encode(replicas, forKey: .replicas)
        try c.encode(duplicateWindow, forKey: .duplicateWindow)
        try c.encode(maxMessages, forKey: .maxMessages)
        try c.encode(maxBytes, forKey: .maxBytes)
        try c.encode(maxMessageSize, forKey: .maxMessageSize)
        try c.encode(maxAge, forKey: .maxAge)
        try c.encode("limits", forKey: .retention)
        try c.encode("old", forKey: .discard)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        subjects = try c.decodeIfPresent([String].self, forKey: .subjects) ?? []
        storage = try c.decodeIfPresent(String.self, forKey: .storage) ?? "file"
        replicas = try c.decodeIfPresent(Int.self, forKey: .replicas) ?? 1
        duplicateWindow = try c.decodeIfPresent(Int64.self, forKey: .duplicateWindow) ?? 0
        maxMessages = try c.decodeIfPresent(Int64.self, forKey: .maxMessages) ?? -1
        maxBytes = try c.decodeIfPresent(Int64.self, forKey: .maxBytes) ?? -1
        maxMessageSize = try c.decodeIfPresent(Int32.self, forKey: .maxMessageSize) ?? -1
        maxAge = try c.decodeIfPresent(Int64.self, forKey: .maxAge) ?? 0
    }
}

/// What `$JS.API.STREAM.INFO` reports.
public struct StreamInfo: Sendable, Equatable, Decodable {
    public var config: StreamConfig
    public var state: StreamState
}

/// A stream's contents at the time of asking.
public struct StreamState: Sendable, Equatable, Decodable {
    public var messages: UInt64
    public var bytes: UInt64
    public var firstSequence: UInt64
    public var lastSequence: UInt64

    enum CodingKeys: String, CodingKey {
        case messages, bytes, firstSequence = "first_seq", lastSequence = "last_seq"
    }
}
