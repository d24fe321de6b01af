import CCRC32C
import Testing
@testable import SegmentLog

@Suite struct CRC32CTests {
    /// Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" vector.
    static let vectors: [(bytes: [UInt8], crc: UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ([], 0),
    ]

    @Test func softwareMatchesKnownVectors() {
        for vector in Self.vectors {
            let crc = vector.bytes.withUnsafeBytes { slog_crc32c_software(0, $0.baseAddress, $0.count) }
            #expect(crc == vector.crc, "software CRC of \(vector.bytes.count) bytes")
        }
    }

    @Test func hardwareMatchesKnownVectors() throws {
        try #require(slog_crc32c_hardware_available() != 0, "this CPU has no SSE4.2; the table path is the one in use")
        for vector in Self.vectors {
            let crc = vector.bytes.withUnsafeBytes { slog_crc32c_hardware(0, $0.baseAddress, $0.count) }
            #expect(crc == vector.crc, "hardware CRC of \(vector.bytes.count) bytes")
        }
    }

    @Test func bothAgreeOnEveryLengthAndAlignment() {
        let data = payload(7, size: 4096)
        data.withUnsafeBytes { bytes in
            for start in 0..<9 {
                for length in [0, 1, 2, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4000] where start + length <= bytes.count {
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
                    let software = slog_crc32c_software(0, slice.baseAddress, slice.count)
                    #expect(CRC32C.checksum(slice) == software)
                    if slog_crc32c_hardware_available() != 0 {
                        #expect(slog_crc32c_hardware(0, slice.baseAddress, slice.count) == software)
                    }
                }
            }
        }
    }

    /// Long inputs are checksummed in three lanes of 8,192 then 256 bytes and
    /// recombined: every length around those block sizes must still agree.
    @Test func lanesAgreeAroundTheirBlockSizes() {
        let data = payload(13, size: 120_000)
        let lengths = [767, 768, 769, 3 * 256 + 8, 2 * 768 - 1, 24_575, 24_576, 24_577, 24_576 + 768, 24_576 + 767,
                       49_152 + 5, 100_003, 119_990]
        data.withUnsafeBytes { bytes in
            for start in [0, 3, 8] {
                for length in lengths where start + length <= bytes.count {
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
                    let software = slog_crc32c_software(0, slice.baseAddress, slice.count)
                    #expect(CRC32C.checksum(slice) == software, "\(length) bytes at offset \(start)")
                    guard length > 777 else { continue }
                    let continued = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[777...]),
                                                    continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<777])))
                    #expect(continued == software, "\(length) bytes at offset \(start), continued at 777")
                }
            }
        }
    }

    @Test func continuingEqualsOneShot() {
        let data = payload(11, size: 1000)
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 13, 500, 999, 1000] {
            let first = CRC32C.checksum(Array(data[..<split]))
            #expect(CRC32C.checksum(Array(data[split...]), continuing: first) == whole)
        }
    }
}
