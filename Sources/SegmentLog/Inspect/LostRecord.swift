/// The placeholder record a repair writes in place of each record whose
/// bytes could not be read (docs/format.md, "Lost-record placeholders"):
/// kind 0, no partition key, and a small JSON payload naming the file that
/// keeps the unreadable bytes and why they could not be read. Sequence
/// numbers stay gap-free, none is handed out twice, and every reader sees
/// where records were lost.
public enum LostRecord {
    /// The record kind of a placeholder.
    public static let kind: UInt8 = 0
    /// Placeholders per batch.
    static let batchSize = 8192

    /// The payload of a placeholder: `{"lost":true,"corrupt_file":F,"reason":R}`,
    /// compact JSON in that key order, where `F` is the name of the
    /// `.corrupt` file beside the segments (empty when no bytes were kept,
    /// as for a missing segment) and `R` why the records were lost.
    ///
    /// - Parameters:
    ///   - corruptFile: the name of the `.corrupt` file that keeps the bytes, or
    ///     an empty string.
    ///   - reason: why the records were lost.
    /// - Returns: the payload's UTF-8 bytes.
    public static func payload(corruptFile: String, reason: String) -> [UInt8] {
        Array("{\"lost\":true,\"corrupt_file\":\(jsonString(corruptFile)),\"reason\":\(jsonString(reason))}".utf8)
    }

    /// Encoded batches of placeholders for `sequences`, all stamped `timestamp`.
    static func batches(for sequences: Range<UInt64>, timestamp: Int64, payload: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var first = sequences.lowerBound
        while first < sequences.upperBound {
            let count = Int(min(UInt64(batchSize), sequences.upperBound - first))
            let encoder = BatchEncoder(limits: LogLimits())
            payload.withUnsafeBytes { bytes in
                for _ in 0..<count {
                    // A placeholder payload is a few hundred bytes, far below every limit.
                    try! encoder.add(kind: kind, partition: UnsafeRawBufferPointer(start: nil, count: 0), payload: bytes)
                }
            }
            out.append([UInt8](encoder.finish(firstSequence: first, timestamp: timestamp)))
            first += UInt64(count)
        }
        return out
    }

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
