/// The member names a line decoder gives a meaning to, in any of the three
/// forms a signal line takes (docs/cli.md, `ingest`): the signal form's
/// fields, CloudEvents' context attributes and the extensions a signal
/// travels in, and the members of a `cat -o ndjson` record object.
///
/// A name known to one form is an ordinary member in another (a signal
/// line's `source` is an extra field; a CloudEvent's `content` is refused),
/// so the line decoder sorts members by this one list while it reads them,
/// before it knows the form, and each form's builder decides what a
/// member means to it.
enum SignalLineField: UInt8, CaseIterable {
    // The signal form (``SignalJSON/knownFields``).
    case id, content, signalType, urgency, sourceID, requiresResponse, idempotencyKey
    case partitionKey, correlationID, schemaVersion, retryCount, timestamp, traceparent
    // CloudEvents context attributes (``CloudEvent``), and `data_base64`, which it refuses.
    case source, specVersion, type, time, subject, dataContentType, data, dataSchema, dataBase64
    // Extension attributes a signal travels in (urgency and traceparent are above).
    case requiresResponseExtension, idempotencyKeyExtension, correlationIDExtension
    case schemaVersionExtension, retryCountExtension
    // A `cat -o ndjson` record object.
    case kind, signal, sequence, partition

    /// The member name as it appears in JSON.
    var name: String {
        switch self {
        case .id: return "id"
        case .content: return "content"
        case .signalType: return "signal_type"
        case .urgency: return "urgency"
        case .sourceID: return "source_id"
        case .requiresResponse: return "requires_response"
        case .idempotencyKey: return "idempotency_key"
        case .partitionKey: return "partition_key"
        case .correlationID: return "correlation_id"
        case .schemaVersion: return "schema_version"
        case .retryCount: return "retry_count"
        case .timestamp: return "timestamp"
        case .traceparent: return "traceparent"
        case .source: return "source"
        case .specVersion: return "specversion"
        case .type: return "type"
        case .time: return "time"
        case .subject: return "subject"
        case .dataContentType: return "datacontenttype"
        case .data: return "data"
        case .dataSchema: return "dataschema"
        case .dataBase64: return "data_base64"
        case .requiresResponseExtension: return "requiresresponse"
        case .idempotencyKeyExtension: return "idempotencykey"
        case .correlationIDExtension: return "correlationid"
        case .schemaVersionExtension: return "schemaversion"
        case .retryCountExtension: return "retrycount"
        case .kind: return "kind"
        case .signal: return "signal"
        case .sequence: return "sequence"
        case .partition: return "partition"
        }
    }

    /// How many names there are (slots a decoder keeps per object).
    static let count = allCases.count

    /// This field's bit in a set of fields held in a `UInt64`.
    @inline(__always) var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The names' UTF-8, by length, for ``init(bytes:)``.
    private static let byLength: [[(bytes: [UInt8], field: SignalLineField)]] = {
        var table = [[(bytes: [UInt8], field: SignalLineField)]](repeating: [], count: 18)
        for field in allCases { table[field.name.utf8.count].append((Array(field.name.utf8), field)) }
        return table
    }()

    /// The field whose name is exactly `bytes`, if any.
    @inline(__always) init?(bytes: UnsafeRawBufferPointer) {
        let table = Self.byLength
        guard bytes.count < table.count else { return nil }
        for candidate in table[bytes.count] {
            let same = candidate.bytes.withUnsafeBufferPointer { name in
                for index in 0..<name.count where name[index] != bytes[index] { return false }
                return true
            }
            if same {
                self = candidate.field
                return
            }
        }
        return nil
    }

    /// The signal form's fields: every other member of a signal line is an extra field.
    static let signalForm: UInt64 = [id, content, signalType, urgency, sourceID, requiresResponse, idempotencyKey,
                                     partitionKey, correlationID, schemaVersion, retryCount, timestamp, traceparent]
        .reduce(0) { $0 | $1.bit }

    /// CloudEvents context attributes: every other member of an event is an extension attribute.
    static let contextAttributes: UInt64 = [id, source, specVersion, type, time, subject, dataContentType, data, dataSchema]
        .reduce(0) { $0 | $1.bit }

    /// The extension attributes a CloudEvent carries a signal's own fields in.
    static let signalExtensions: UInt64 = [urgency, traceparent, requiresResponseExtension, idempotencyKeyExtension,
                                           correlationIDExtension, schemaVersionExtension, retryCountExtension]
        .reduce(0) { $0 | $1.bit }
}
