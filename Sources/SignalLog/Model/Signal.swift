import SegmentLog

/// What a signal carries: plain text or any JSON value.
public enum SignalContent: Sendable, Hashable {
    case text(String)
    case json(JSONValue)

    /// The content as a JSON value (text becomes a JSON string).
    public var jsonValue: JSONValue {
        switch self {
        case .text(let text): return .string(text)
        case .json(let value): return value
        }
    }
}

/// One signal: the unit a ``SignalNode`` accepts, processes, dead-letters and
/// replays. Field names follow the original specification in Swift naming;
/// in JSON they keep the original attribute names (see ``SignalJSON``).
///
/// Times are microseconds since the Unix epoch (UTC), the unit the log uses.
public struct Signal: Sendable, Equatable {
    /// The fields the node never changes live in one immutable object
    /// shared by every copy: a signal is copied at each step of its way
    /// (batches, queues, workers, handlers), and a copy is then a few
    /// reference counts instead of a dozen, which profiles showed as a large
    /// share of processing when producer and workers run on different
    /// cores. Being immutable, its fields are read without reference
    /// counting. Changing one makes a new object. The fields the node does
    /// change (schema version on upcasting, retry count, attempt history)
    /// are stored inline, so those changes copy nothing.
    private struct Fields: Sendable {
        var id: String
        var content: SignalContent
        var type: String
        var urgency: Double
        var sourceID: String
        var requiresResponse: Bool
        var idempotencyKey: String
        var partitionKey: String
        var correlationID: String
        var createdAt: Int64
        var traceparent: String?
        var extraFields: [String: JSONValue]
    }

    private final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// Replaces one field (a new storage object: others may share this one).
    private mutating func change<Value>(_ field: WritableKeyPath<Fields, Value>, to value: Value) {
        var fields = storage.fields
        fields[keyPath: field] = value
        storage = Storage(fields)
    }

    /// Unique id (a lowercase UUID unless given).
    public var id: String {
        get { storage.fields.id }
        set { change(\.id, to: newValue) }
    }
    public var content: SignalContent {
        get { storage.fields.content }
        set { change(\.content, to: newValue) }
    }
    /// Selects the handler (`signal_type`).
    public var type: String {
        get { storage.fields.type }
        set { change(\.type, to: newValue) }
    }
    /// 0.0 (ignore) to 1.0 (urgent).
    public var urgency: Double {
        get { storage.fields.urgency }
        set { change(\.urgency, to: newValue) }
    }
    /// Who produced the signal (`source_id`).
    public var sourceID: String {
        get { storage.fields.sourceID }
        set { change(\.sourceID, to: newValue) }
    }
    public var requiresResponse: Bool {
        get { storage.fields.requiresResponse }
        set { change(\.requiresResponse, to: newValue) }
    }
    /// Signals with the same key within the dedupe TTL are duplicates.
    /// Default `"<source>_<type>_<first 8 hex digits of the id>"`.
    public var idempotencyKey: String {
        get { storage.fields.idempotencyKey }
        set { change(\.idempotencyKey, to: newValue) }
    }
    /// Signals with the same partition key are processed strictly in order.
    /// Default `"<source>_<type>"`.
    public var partitionKey: String {
        get { storage.fields.partitionKey }
        set { change(\.partitionKey, to: newValue) }
    }
    /// Kept through retries, dead-lettering, reprocessing and replay. Default: a fresh UUID.
    public var correlationID: String {
        get { storage.fields.correlationID }
        set { change(\.correlationID, to: newValue) }
    }
    /// Default "1.0".
    public var schemaVersion: String
    /// Times the signal has been reprocessed from the dead letter queue.
    public var retryCount: Int
    /// The signal's own creation time (`timestamp` in JSON), microseconds since the epoch.
    public var createdAt: Int64 {
        get { storage.fields.createdAt }
        set { change(\.createdAt, to: newValue) }
    }
    /// Optional W3C trace context (`traceparent` header value).
    public var traceparent: String? {
        get { storage.fields.traceparent }
        set { change(\.traceparent, to: newValue) }
    }
    /// JSON fields this version does not know, kept as received.
    public var extraFields: [String: JSONValue] {
        get { storage.fields.extraFields }
        set { change(\.extraFields, to: newValue) }
    }
    /// Processing attempts made on this signal (filled in by the node; not
    /// part of the signal record — each attempt is its own record).
    public var processingAttempts: [ProcessingAttempt]

    /// Creates a signal, filling every omitted field with the documented default.
    ///
    /// - Parameters:
    ///   - content: the signal's content, text or JSON.
    ///   - type: the signal type, which selects the handler.
    ///   - urgency: from 0.0 to 1.0.
    ///   - sourceID: the id of the signal's source.
    ///   - requiresResponse: whether the source expects a response.
    ///   - id: the signal's id; nil generates a UUID.
    ///   - idempotencyKey: the dedupe key; nil uses ``defaultIdempotencyKey(sourceID:type:id:)``.
    ///   - partitionKey: the partition the signal is processed in; nil uses
    ///     ``defaultPartitionKey(sourceID:type:)``.
    ///   - correlationID: ties related signals together; nil generates a UUID.
    ///   - schemaVersion: the version of the signal's schema.
    ///   - retryCount: how often the signal was retried before.
    ///   - createdAt: the creation time, microseconds since the epoch; nil reads the system clock.
    ///   - traceparent: a W3C trace context value.
    ///   - extraFields: JSON fields this version does not know.
    public init(
        content: SignalContent,
        type: String,
        urgency: Double = 0.5,
        sourceID: String,
        requiresResponse: Bool = false,
        id: String? = nil,
        idempotencyKey: String? = nil,
        partitionKey: String? = nil,
        correlationID: String? = nil,
        schemaVersion: String = "1.0",
        retryCount: Int = 0,
        createdAt: Int64? = nil,
        traceparent: String? = nil,
        extraFields: [String: JSONValue] = [:]
    ) {
        let id = id ?? SignalIDs.uuid()
        storage = Storage(Fields(
            id: id, content: content, type: type, urgency: urgency, sourceID: sourceID, requiresResponse: requiresResponse,
            idempotencyKey: idempotencyKey ?? Signal.defaultIdempotencyKey(sourceID: sourceID, type: type, id: id),
            partitionKey: partitionKey ?? Signal.defaultPartitionKey(sourceID: sourceID, type: type),
            correlationID: correlationID ?? SignalIDs.uuid(), createdAt: createdAt ?? SystemClock().nowMicroseconds(),
            traceparent: traceparent, extraFields: extraFields))
        self.schemaVersion = schemaVersion
        self.retryCount = retryCount
        processingAttempts = []
    }

    /// Convenience for text content.
    ///
    /// - Parameters:
    ///   - text: the signal's text content.
    ///   - type: the signal type.
    ///   - urgency: from 0.0 to 1.0.
    ///   - sourceID: the id of the signal's source.
    public init(_ text: String, type: String, urgency: Double = 0.5, sourceID: String) {
        self.init(content: .text(text), type: type, urgency: urgency, sourceID: sourceID)
    }

    /// Convenience for text content from a numbered source, as the
    /// original system's nodes are: the number is kept as its decimal text
    /// (`sourceID: 42` gives source id `"42"`, as JSON input does).
    ///
    /// - Parameters:
    ///   - text: the signal's text content.
    ///   - type: the signal type.
    ///   - urgency: from 0.0 to 1.0.
    ///   - number: the source's number.
    public init(_ text: String, type: String, urgency: Double = 0.5, sourceID number: Int) {
        self.init(content: .text(text), type: type, urgency: urgency, sourceID: String(number))
    }

    /// `"<source>_<type>"`.
    ///
    /// - Parameters:
    ///   - sourceID: the signal's source id.
    ///   - type: the signal type.
    public static func defaultPartitionKey(sourceID: String, type: String) -> String {
        sourceID + "_" + type
    }

    /// `"<source>_<type>_<8 hex>"`, the hex digits being the first eight hex
    /// digits of the signal id (random for generated ids, so only an explicit
    /// key makes two signals duplicates).
    ///
    /// - Parameters:
    ///   - sourceID: the signal's source id.
    ///   - type: the signal type.
    ///   - id: the signal's id.
    public static func defaultIdempotencyKey(sourceID: String, type: String, id: String) -> String {
        var hex = ""
        for character in id.lowercased() where character.isHexDigit {
            hex.append(character)
            if hex.count == 8 { break }
        }
        if hex.count < 8 { hex = SignalIDs.hex8(of: id) }
        return sourceID + "_" + type + "_" + hex
    }

    /// Fields that make up the signal's payload for dedupe conflicts: two
    /// signals with one idempotency key are the same payload when type,
    /// source and content match. A stable 64-bit FNV-1a hash.
    public var payloadFingerprint: UInt64 {
        var hasher = FNV1a()
        hasher.add(type)
        hasher.add(sourceID)
        switch content {
        case .text(let text):
            hasher.add(byte: 1)
            hasher.add(text)
        case .json(let value):
            hasher.add(byte: 2)
            hasher.add(value.serialized())
        }
        return hasher.value
    }

    /// Equality ignores ``processingAttempts`` (history, not identity).
    ///
    /// - Parameters:
    ///   - lhs: a signal.
    ///   - rhs: another signal.
    public static func == (lhs: Signal, rhs: Signal) -> Bool {
        if lhs.storage === rhs.storage {
            return lhs.schemaVersion == rhs.schemaVersion && lhs.retryCount == rhs.retryCount
        }
        return lhs.id == rhs.id && lhs.content == rhs.content && lhs.type == rhs.type && lhs.urgency == rhs.urgency
            && lhs.sourceID == rhs.sourceID && lhs.requiresResponse == rhs.requiresResponse
            && lhs.idempotencyKey == rhs.idempotencyKey && lhs.partitionKey == rhs.partitionKey
            && lhs.correlationID == rhs.correlationID && lhs.schemaVersion == rhs.schemaVersion
            && lhs.retryCount == rhs.retryCount && lhs.createdAt == rhs.createdAt
            && lhs.traceparent == rhs.traceparent && lhs.extraFields == rhs.extraFields
    }
}

/// How a processing attempt ended.
public enum AttemptOutcome: Sendable, Equatable {
    /// The handler succeeded.
    case processed
    /// The handler threw or reported failure; the text is the error.
    case failed(String)
    /// The idempotency key was seen within the TTL; the id is the original signal's.
    case duplicate(of: String)
    /// Same idempotency key as a signal seen within the TTL but a different payload.
    case conflict(with: String)
    /// The node refused the signal (breaker open, backpressure, shutting down, invalid).
    case rejected(String)
}

/// One processing attempt, as recorded in the log (attempt record).
public struct ProcessingAttempt: Sendable, Equatable {
    public var signalID: String
    public var nodeID: String
    /// Microseconds since the epoch.
    public var startedAt: Int64
    /// Microseconds.
    public var duration: Int64
    public var outcome: AttemptOutcome
    public var correlationID: String
    /// 1 for the first attempt of a delivery, counting retries.
    public var attempt: Int

    /// Makes an attempt.
    ///
    /// - Parameters:
    ///   - signalID: the id of the signal processed.
    ///   - nodeID: the node that processed it.
    ///   - startedAt: when the attempt began, microseconds since the epoch.
    ///   - duration: how long it took, microseconds.
    ///   - outcome: how it ended.
    ///   - correlationID: the signal's correlation id.
    ///   - attempt: the attempt's number within the delivery, from 1.
    public init(signalID: String, nodeID: String, startedAt: Int64, duration: Int64, outcome: AttemptOutcome, correlationID: String, attempt: Int = 1) {
        self.signalID = signalID
        self.nodeID = nodeID
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
        self.correlationID = correlationID
        self.attempt = attempt
    }
}

/// Stable 64-bit FNV-1a (not seeded per process, unlike `Hasher`).
struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var value = self.value
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            self.value = value
        }
        add(byte: 0xFF)
    }
}
