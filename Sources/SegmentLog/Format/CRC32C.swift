import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every batch, segment header and index file.
///
/// Uses the SSE4.2 `crc32` instruction when the CPU has it and a table-driven
/// implementation otherwise; both produce identical values.
public enum CRC32C {
    /// Whether the hardware instruction is used on this machine.
    public static let usesHardware: Bool = slog_crc32c_hardware_available() != 0

    /// The checksum of `bytes`, continuing from `previous` (0 to start).
    ///
    /// - Parameters:
    ///   - bytes: the bytes to checksum.
    ///   - previous: the checksum of the bytes before them, or 0.
    /// - Returns: the CRC-32C of everything checksummed so far.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        return usesHardware
            ? slog_crc32c_hardware(previous, base, bytes.count)
            : slog_crc32c_software(previous, base, bytes.count)
    }

    /// The checksum of `bytes`, continuing from `previous` (0 to start).
    ///
    /// - Parameters:
    ///   - bytes: the bytes to checksum.
    ///   - previous: the checksum of the bytes before them, or 0.
    /// - Returns: the CRC-32C of everything checksummed so far.
    public static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: previous) }
    }
}
