/// The 48-byte header in front of every batch.
///
/// The checksum covers bytes 8..<48 of the header and the stored body, so a
/// batch is accepted only if every field and every body byte is as written.
package struct BatchHeader: Equatable {
    package var checksum: UInt32
    /// Bytes of body after the header (compressed, or raw for codec 0).
    package var storedLength: UInt32
    /// Bytes of the encoded records once decompressed.
    package var rawLength: UInt32
    package var firstSequence: UInt64
    package var recordCount: UInt32
    package var codec: UInt8
    package var minTimestamp: Int64
    package var maxTimestamp: Int64
    /// Bytes 29–31 (flags and reserved) as read; format 1 and 2 write zeros
    /// and a reader refuses anything else.
    package var zeroFields: UInt32 = 0

    package var totalLength: Int { SegmentFormat.batchHeaderSize + Int(storedLength) }
    package var lastSequence: UInt64 { firstSequence &+ UInt64(recordCount) &- 1 }

    package func encode(into pointer: UnsafeMutableRawPointer) {
        pointer.storeLE(SegmentFormat.batchMagic, at: 0)
        pointer.storeLE(checksum, at: 4)
        pointer.storeLE(storedLength, at: 8)
        pointer.storeLE(rawLength, at: 12)
        pointer.storeLE(firstSequence, at: 16)
        pointer.storeLE(recordCount, at: 24)
        pointer.storeBytes(of: codec, toByteOffset: 28, as: UInt8.self)
        pointer.storeBytes(of: 0, toByteOffset: 29, as: UInt8.self)
        pointer.storeLE(UInt16(0), at: 30)
        pointer.storeLE(minTimestamp, at: 32)
        pointer.storeLE(maxTimestamp, at: 40)
    }

    /// Reads the fields of a header without judging them; nil if the magic is wrong.
    package static func decode(_ bytes: UnsafeRawBufferPointer) -> BatchHeader? {
        guard bytes.count >= SegmentFormat.batchHeaderSize,
              bytes.loadLE(UInt32.self, at: 0) == SegmentFormat.batchMagic else { return nil }
        return BatchHeader(
            checksum: bytes.loadLE(UInt32.self, at: 4),
            storedLength: bytes.loadLE(UInt32.self, at: 8),
            rawLength: bytes.loadLE(UInt32.self, at: 12),
            firstSequence: bytes.loadLE(UInt64.self, at: 16),
            recordCount: bytes.loadLE(UInt32.self, at: 24),
            codec: bytes[28],
            minTimestamp: bytes.loadLE(Int64.self, at: 32),
            maxTimestamp: bytes.loadLE(Int64.self, at: 40),
            zeroFields: UInt32(bytes[29]) | UInt32(bytes.loadLE(UInt16.self, at: 30)) << 8)
    }

    /// Why this header cannot describe a valid batch of at most `available`
    /// bytes under `limits`, or nil if it can. Checked before anything is
    /// allocated from its lengths.
    package func implausibility(available: Int64, limits: LogLimits) -> String? {
        if recordCount == 0 { return "batch has zero records" }
        if zeroFields != 0 { return "batch flags and reserved bytes (29–31) are 0x\(String(zeroFields, radix: 16)), not zero" }
        if Int(rawLength) > limits.maxBatchBytes {
            return "uncompressed length \(rawLength) exceeds the limit of \(limits.maxBatchBytes)"
        }
        if Int64(totalLength) > available {
            return "batch length \(totalLength) runs past the end of the file (\(available) bytes left)"
        }
        if Int(recordCount) > Int(rawLength) / SegmentFormat.recordHeaderSize {
            return "record count \(recordCount) cannot fit in \(rawLength) bytes"
        }
        switch codec {
        case SegmentFormat.codecNone:
            if storedLength != rawLength { return "raw batch stores \(storedLength) bytes for \(rawLength)" }
        case SegmentFormat.codecLZ4:
            if Int(storedLength) > LZ4Block.compressBound(Int(rawLength)) {
                return "compressed length \(storedLength) is more than LZ4 can produce for \(rawLength) bytes"
            }
            // An LZ4 block expands at most about 255-fold; a larger claim is a
            // forged length that would make the reader allocate for nothing.
            if UInt64(rawLength) > UInt64(storedLength) * 255 + 64 {
                return "uncompressed length \(rawLength) is more than \(storedLength) LZ4 bytes can hold"
            }
        default:
            return "unknown codec \(codec)"
        }
        if maxTimestamp < minTimestamp { return "timestamps go backwards (\(minTimestamp) > \(maxTimestamp))" }
        if firstSequence > UInt64.max - UInt64(recordCount) { return "sequence \(firstSequence) overflows" }
        return nil
    }

    /// The checksum of a whole batch as it lies in `batch` (header and body).
    package static func computeChecksum(_ batch: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[8...]))
    }
}
