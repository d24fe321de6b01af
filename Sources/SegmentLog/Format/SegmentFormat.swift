/// Fixed numbers of the on-disk format (see docs/format.md).
package enum SegmentFormat {
    /// "SIGLOGSG" read as a little-endian UInt64.
    package static let segmentMagic: UInt64 = magic("SIGLOGSG")
    /// "SIGLOGIX" read as a little-endian UInt64.
    package static let indexMagic: UInt64 = magic("SIGLOGIX")
    /// "SLGB" read as a little-endian UInt32.
    package static let batchMagic: UInt32 = UInt32(truncatingIfNeeded: magic("SLGB\0\0\0\0"))

    /// The version this build writes. Version 2 added a record's optional
    /// event time and per-block event-time ranges in the index.
    package static let version: UInt16 = 2
    /// Every version this build reads.
    package static let readableVersions: ClosedRange<UInt16> = 1...2
    package static let segmentHeaderSize = 40
    package static let batchHeaderSize = 48
    package static let recordHeaderSize = 12
    /// Record flag: an 8-byte event time follows the record header (version 2).
    package static let recordFlagEventTime: UInt8 = 1
    package static let eventTimeSize = 8

    package static let codecNone: UInt8 = 0
    package static let codecLZ4: UInt8 = 1

    /// Segment and index files are named by the first sequence number,
    /// zero-padded to 20 digits so that names sort like numbers.
    package static func segmentName(_ base: UInt64) -> String { padded(base) + ".seg" }
    package static func indexName(_ base: UInt64) -> String { padded(base) + ".idx" }
    package static let lockName = "LOCK"
    package static let temporarySuffix = ".tmp"
    package static let corruptSuffix = ".corrupt"

    /// A repair's copy of damaged bytes that was not yet renamed to its
    /// `….corrupt` name: a leftover like any other temporary file.
    package static func isInterruptedSetAside(_ name: String) -> Bool {
        name.hasSuffix(corruptSuffix + temporarySuffix)
    }

    package static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// The sequence number in a 20-digit file name stem, or nil.
    package static func parseBase(_ stem: Substring) -> UInt64? {
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }

    private static func magic(_ text: String) -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in text.utf8.prefix(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }
}

/// The 40-byte header at the start of every segment file.
package struct SegmentHeader: Equatable {
    package var baseSequence: UInt64
    package var createdAt: Int64
    /// The format version the segment was written in: records with an event
    /// time appear only in version 2 segments.
    package var version: UInt16

    package init(baseSequence: UInt64, createdAt: Int64, version: UInt16 = SegmentFormat.version) {
        self.baseSequence = baseSequence
        self.createdAt = createdAt
        self.version = version
    }

    package func encode(into pointer: UnsafeMutableRawPointer) {
        pointer.storeLE(SegmentFormat.segmentMagic, at: 0)
        pointer.storeLE(version, at: 8)
        pointer.storeLE(UInt16(0), at: 10)
        pointer.storeLE(UInt32(0), at: 12)
        pointer.storeLE(baseSequence, at: 16)
        pointer.storeLE(createdAt, at: 24)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: pointer, count: 32))
        pointer.storeLE(crc, at: 32)
        pointer.storeLE(UInt32(0), at: 36)
    }

    package var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: SegmentFormat.segmentHeaderSize) { buffer, count in
            encode(into: UnsafeMutableRawPointer(buffer.baseAddress!))
            count = SegmentFormat.segmentHeaderSize
        }
    }

    /// Parses and checks a header; the error names what is wrong.
    package static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(SegmentLogError) -> SegmentHeader {
        guard bytes.count >= SegmentFormat.segmentHeaderSize else {
            throw .corruption(path: path, offset: 0, reason: "segment header is \(bytes.count) bytes, expected \(SegmentFormat.segmentHeaderSize)")
        }
        let magic = bytes.loadLE(UInt64.self, at: 0)
        guard magic == SegmentFormat.segmentMagic else {
            throw .corruption(path: path, offset: 0, reason: "not a segment file (magic 0x\(String(magic, radix: 16)))")
        }
        let stored = bytes.loadLE(UInt32.self, at: 32)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<32]))
        guard stored == computed else {
            throw .corruption(path: path, offset: 0, reason: "segment header checksum 0x\(String(stored, radix: 16)) does not match computed 0x\(String(computed, radix: 16))")
        }
        let version = bytes.loadLE(UInt16.self, at: 8)
        guard SegmentFormat.readableVersions.contains(version) else { throw .unsupportedFormat(path: path, version: version) }
        let flags = bytes.loadLE(UInt16.self, at: 10), reserved = bytes.loadLE(UInt32.self, at: 12)
        guard flags == 0, reserved == 0 else {
            // Covered by the checksum, so written so on purpose: by a format
            // this version does not know (docs/format.md, "Segment file").
            throw .corruption(path: path, offset: 10, reason: "segment header flags 0x\(String(flags, radix: 16)) and reserved 0x\(String(reserved, radix: 16)) must be zero")
        }
        guard bytes.loadLE(UInt32.self, at: 36) == 0 else {
            throw .corruption(path: path, offset: 36, reason: "reserved segment header bytes are not zero")
        }
        return SegmentHeader(baseSequence: bytes.loadLE(UInt64.self, at: 16), createdAt: bytes.loadLE(Int64.self, at: 24), version: version)
    }
}
