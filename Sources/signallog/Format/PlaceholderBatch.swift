import SegmentLog

/// Encodes batches of kind-0 placeholder records, which `repair` writes in
/// place of records whose bytes were unreadable, so sequence numbers stay
/// gap-free and every reader sees that records were lost, and where their
/// bytes went.
enum PlaceholderBatch {
    /// Records per batch.
    static let batchSize = 8192

    /// The payload of each placeholder: a small JSON object.
    static func payload(corruptFile: String, reason: String) -> [UInt8] {
        Array(JSON.object([
            ("lost", .bool(true)),
            ("corrupt_file", .string(corruptFile)),
            ("reason", .string(reason)),
        ]).compact.utf8)
    }

    /// Batches for `sequences`, all stamped `timestamp`.
    static func batches(for sequences: Range<UInt64>, timestamp: Int64, payload: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var first = sequences.lowerBound
        while first < sequences.upperBound {
            let count = Int(min(UInt64(batchSize), sequences.upperBound - first))
            out.append(encode(firstSequence: first, count: count, timestamp: timestamp, payload: payload))
            first += UInt64(count)
        }
        return out
    }

    /// One batch of `count` placeholders, framed by the engine's own encoder.
    static func encode(firstSequence: UInt64, count: Int, timestamp: Int64, payload: [UInt8]) -> [UInt8] {
        let encoder = BatchEncoder(limits: LogLimits())
        payload.withUnsafeBytes { bytes in
            for _ in 0..<count {
                // A placeholder payload is a few hundred bytes, far below every limit.
                try! encoder.add(kind: RecordKinds.lost, partition: UnsafeRawBufferPointer(start: nil, count: 0), payload: bytes)
            }
        }
        return [UInt8](encoder.finish(firstSequence: firstSequence, timestamp: timestamp))
    }
}
