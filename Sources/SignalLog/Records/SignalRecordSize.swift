/// The size of a signal record's payload, worked out without encoding it.
///
/// An importer needs it before the node encodes anything: to cut its
/// batches under the log's batch limit, and to report a signal the log's
/// record limit would refuse as a problem of its own line instead of a
/// failed append that takes the signals batched with it down too. It follows
/// ``SignalRecord/encode(_:carriedFrom:into:)`` field by field (the layout in
/// docs/signals.md); `SignalRecordSizeTests` checks that the two agree.
extension SignalRecord {
    /// Bytes of the kind-1 payload `signal` encodes to.
    package static func encodedSize(of signal: Signal, carriedFrom: UInt64? = nil) -> Int {
        // version, flags, urgency, created_at
        var size = 1 + 1 + 8 + 8
        size += RecordByteCount.varint(UInt64(max(0, signal.retryCount)))
        size += RecordByteCount.string(signal.id)
        size += RecordByteCount.string(signal.type)
        size += RecordByteCount.string(signal.sourceID)
        size += RecordByteCount.string(signal.idempotencyKey)
        size += RecordByteCount.string(signal.partitionKey)
        size += RecordByteCount.string(signal.correlationID)
        size += RecordByteCount.string(signal.schemaVersion)
        if let traceparent = signal.traceparent { size += RecordByteCount.string(traceparent) }
        if let carriedFrom { size += RecordByteCount.varint(carriedFrom) }
        switch signal.content {
        case .text(let text): size += RecordByteCount.string(text)
        case .json(let value): size += RecordByteCount.json(value)
        }
        let extra = signal.extraFields
        if !extra.isEmpty { size += RecordByteCount.object(extra) }
        return size
    }
}

/// Byte counts of ``ByteWriter``'s encodings.
enum RecordByteCount {
    /// Unsigned LEB128: 7 bits per byte.
    static func varint(_ value: UInt64) -> Int {
        var rest = value
        var count = 1
        while rest >= 0x80 {
            rest >>= 7
            count += 1
        }
        return count
    }

    /// Length prefix and UTF-8 bytes.
    static func string(_ text: String) -> Int {
        let count = text.utf8.count
        return varint(UInt64(count)) + count
    }

    /// Binary JSON (tag, then the value).
    static func json(_ value: JSONValue) -> Int {
        switch value {
        case .null, .bool: return 1
        case .number: return 1 + 8
        case .string(let text): return 1 + string(text)
        case .array(let items):
            var size = 1 + varint(UInt64(items.count))
            for item in items { size += json(item) }
            return size
        case .object(let members): return object(members)
        }
    }

    /// A binary JSON object: tag, count, then key and value pairs.
    static func object(_ members: [String: JSONValue]) -> Int {
        var size = 1 + varint(UInt64(members.count))
        for (key, member) in members { size += string(key) + json(member) }
        return size
    }
}
