import Foundation
import Testing
@testable import SegmentLog

/// An index file whose checksum is right but whose segment length or counts
/// cannot describe a segment is damaged: the parser rejects it, so it is
/// rebuilt or reported, never trusted (for instance as a durable point).
@Suite struct IndexBoundsTests {
    /// `bytes` with the 8-byte field at `offset` set to `value` and the checksum made to match.
    static func forged(_ bytes: [UInt8], field offset: Int, to value: UInt64) -> [UInt8] {
        var forged = bytes
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { forged[offset + i] = $0[i] } }
        let crc = CRC32C.checksum(Array(forged[0..<(forged.count - 4)]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { forged[forged.count - 4 + i] = $0[i] } }
        return forged
    }

    static let hostile: [(name: String, field: Int, value: UInt64)] = [
        ("segment length -1", 24, UInt64(bitPattern: -1)),
        ("segment length 2^62", 24, 1 << 62),
        ("segment length 2^40", 24, 1 << 40),
        ("batch count 2^62", 40, 1 << 62),
        ("raw bytes 0", 64, 0),
        ("stored bytes 2^62", 72, 1 << 62),
        ("stored bytes 0", 72, 0),
    ]

    @Test(arguments: 0..<hostile.count)
    func theParserRejectsWhatCannotFitTheSegment(_ which: Int) throws {
        let (name, field, value) = Self.hostile[which]
        let directory = TemporaryDirectory()
        let path = directory.child()
        _ = try RecoveryTests.sealedLog(path)
        let index = segmentFiles(path, suffix: ".idx")[0]
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index)))
        #expect(throws: Never.self) { try bytes.withUnsafeBytes { _ = try IndexFile.decode($0, path: index) } }
        let hostile = Self.forged(bytes, field: field, to: value)
        #expect(throws: SegmentLogError.self, "\(name) was accepted") {
            try hostile.withUnsafeBytes { _ = try IndexFile.decode($0, path: index) }
        }
    }

    /// The active segment's clean-close index with a forged length: not a
    /// durable point, so the log opens, rebuilding what it needs.
    @Test(arguments: [UInt64(bitPattern: -1), 1 << 62])
    func aForgedLengthInTheActiveIndexIsNotADurablePoint(length: UInt64) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try RecoveryTests.sealedLog(path)
        let index = try #require(segmentFiles(path, suffix: ".idx").last)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index)))
        try Data(Self.forged(bytes, field: 24, to: length)).write(to: URL(fileURLWithPath: index))
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.isEmpty)
        #expect(try readAll(inspector) == records)
        let log = try SegmentLog.open(directory: path)
        #expect(log.recoveryReport.damage.isEmpty && log.nextSequence == UInt64(records.count))
        try log.close()
    }
}
