/// The record the crash child writes at each sequence number.
///
/// Kind, partition and payload are pure functions of the sequence, so the
/// parent can check every byte a reopened log returns without being told
/// what was written. The test target holds the same derivation
/// (`Tests/FaultTests/Support/DerivedRecord.swift`); if the two ever
/// disagree, every crash test fails on the first record.
enum DerivedRecord {
    static func kind(_ sequence: UInt64) -> UInt8 { UInt8(sequence % 5) }

    static func partition(_ sequence: UInt64) -> String { "part-\(sequence % 7)" }

    /// 8 to 307 bytes: the sequence number (little-endian), then a mix of
    /// letters (compressible) and pseudo-random bytes (not).
    static func payload(_ sequence: UInt64) -> [UInt8] {
        var random = ChildRandom(seed: sequence ^ 0xD1B5_4A32_D192_ED03)
        let length = 8 + Int(random.next() % 300)
        var bytes = [UInt8](repeating: 0, count: length)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
        for i in 8..<length {
            bytes[i] = i % 3 == 2 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(97 + (Int(sequence % 26) + i) % 26)
        }
        return bytes
    }

}
