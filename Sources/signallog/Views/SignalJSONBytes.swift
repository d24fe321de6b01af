import SignalLog

/// Writes a signal as the processing layer's ``SignalJSON/encode(_:)`` does
/// (original attribute names, keys sorted, the same number and time
/// formats), but straight into a byte buffer, so exporting a million
/// signals builds no intermediate dictionaries. Signals with extra fields
/// go through `SignalJSON.encode` itself.
enum SignalJSONBytes {
    static func write(_ signal: Signal, to out: inout [UInt8]) {
        guard signal.extraFields.isEmpty else {
            out.append(contentsOf: SignalJSON.encode(signal).utf8)
            return
        }
        out.append(contentsOf: #"{"content":"#.utf8)
        switch signal.content {
        case .text(let text): JSON.appendString(text, to: &out)
        case .json(let value): out.append(contentsOf: value.serialized().utf8)
        }
        out.append(contentsOf: #","correlation_id":"#.utf8)
        JSON.appendString(signal.correlationID, to: &out)
        out.append(contentsOf: #","id":"#.utf8)
        JSON.appendString(signal.id, to: &out)
        out.append(contentsOf: #","idempotency_key":"#.utf8)
        JSON.appendString(signal.idempotencyKey, to: &out)
        out.append(contentsOf: #","partition_key":"#.utf8)
        JSON.appendString(signal.partitionKey, to: &out)
        out.append(contentsOf: #","requires_response":"#.utf8)
        out.append(contentsOf: (signal.requiresResponse ? "true" : "false").utf8)
        out.append(contentsOf: #","retry_count":"#.utf8)
        out.append(contentsOf: String(signal.retryCount).utf8)
        out.append(contentsOf: #","schema_version":"#.utf8)
        JSON.appendString(signal.schemaVersion, to: &out)
        out.append(contentsOf: #","signal_type":"#.utf8)
        JSON.appendString(signal.type, to: &out)
        out.append(contentsOf: #","source_id":"#.utf8)
        JSON.appendString(signal.sourceID, to: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        JSON.appendString(RFC3339.format(microseconds: signal.createdAt), to: &out)
        if let traceparent = signal.traceparent {
            out.append(contentsOf: #","traceparent":"#.utf8)
            JSON.appendString(traceparent, to: &out)
        }
        out.append(contentsOf: #","urgency":"#.utf8)
        number(signal.urgency, to: &out)
        out.append(125)
    }

    /// JSON numbers as the processing layer writes them.
    static func number(_ value: Double, to out: inout [UInt8]) {
        if !value.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: "\(value)".utf8)
        }
    }
}
