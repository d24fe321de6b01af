import SegmentLog

/// The record the crash tests write at each sequence number.
///
/// Kind, partition and payload are pure functions of the sequence, so the
/// parent process can check every byte a reopened log returns without being
/// told what its child wrote. The child (`slog-crash-child`) and the tests
/// share this one definition.
public enum DerivedRecord {
    public static func kind(_ sequence: UInt64) -> UInt8 { UInt8(sequence % 5) }

    public static func partition(_ sequence: UInt64) -> String { "part-\(sequence % 7)" }

    /// 8 to 307 bytes: the sequence number (little-endian), then a mix of
    /// letters (compressible) and pseudo-random bytes (not).
    public static func payload(_ sequence: UInt64) -> [UInt8] {
        var random = SplitMix64(seed: sequence ^ 0xD1B5_4A32_D192_ED03)
        let length = 8 + Int(random.next() % 300)
        var bytes = [UInt8](repeating: 0, count: length)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
        for i in 8..<length {
            bytes[i] = i % 3 == 2 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(97 + (Int(sequence % 26) + i) % 26)
        }
        return bytes
    }

    /// The record to append at `sequence`.
    public static func append(_ sequence: UInt64) -> AppendRecord {
        AppendRecord(kind: kind(sequence), partition: partition(sequence), payload: payload(sequence))
    }

    /// Why `record` is not the record derived for its sequence, or nil if it is.
    public static func mismatch(_ record: LogRecord) -> String? {
        if record.kind != kind(record.sequence) { return "kind \(record.kind) at sequence \(record.sequence)" }
        if record.partition != partition(record.sequence) { return "partition \(record.partition) at sequence \(record.sequence)" }
        if record.payload != payload(record.sequence) { return "payload of \(record.payload.count) bytes differs at sequence \(record.sequence)" }
        return nil
    }
}
