/// Encodes records into a reused buffer and frames them as one batch:
/// records, then one LZ4 block, then the header with its CRC32C.
///
/// Record layout inside the uncompressed body (little-endian):
/// kind u8, flags u8, partition length u16, payload length u32,
/// timestamp delta u32 (µs after the batch's minimum), partition, payload.
package final class BatchEncoder {
    private let records = GrowableBuffer()
    private let output = GrowableBuffer()
    private(set) var recordCount = 0
    let limits: LogLimits

    private let compressor: LZ4Compressor

    /// `reusesStream`: see ``LogOptions/reusesCompressionStream``.
    package init(limits: LogLimits, acceleration: Int = 1, reusesStream: Bool = true) {
        self.limits = limits
        compressor = LZ4Compressor(acceleration: acceleration, usesStream: reusesStream)
    }

    var encodedBytes: Int { records.count }

    package func reset() {
        records.count = 0
        recordCount = 0
        // After one giant batch, give the memory back.
        records.shrink(to: 1 << 20)
        output.shrink(to: 1 << 20)
    }

    /// Adds one record. Throws before changing anything when a limit would be broken.
    package func add(kind: UInt8, partition: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws(SegmentLogError) {
        guard partition.count <= Int(UInt16.max) else {
            throw .limitExceeded(what: "partition key", value: partition.count, limit: Int(UInt16.max))
        }
        guard payload.count <= limits.maxRecordBytes else {
            throw .limitExceeded(what: "record payload", value: payload.count, limit: limits.maxRecordBytes)
        }
        let size = SegmentFormat.recordHeaderSize + partition.count + payload.count
        guard records.count + size <= limits.maxBatchBytes else {
            throw .limitExceeded(what: "batch", value: records.count + size, limit: limits.maxBatchBytes)
        }
        records.reserve(size)
        let p = records.base + records.count
        p.storeBytes(of: kind, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        p.storeLE(UInt16(partition.count), at: 2)
        p.storeLE(UInt32(payload.count), at: 4)
        p.storeLE(UInt32(0), at: 8)
        records.count += SegmentFormat.recordHeaderSize
        records.append(partition)
        records.append(payload)
        recordCount += 1
    }

    /// Compresses and frames the records added since the last reset. The
    /// returned bytes stay valid until the next call on this encoder.
    package func finish(firstSequence: UInt64, timestamp: Int64) -> UnsafeRawBufferPointer {
        let raw = records.bytes
        output.count = 0
        output.reserve(SegmentFormat.batchHeaderSize + LZ4Block.compressBound(raw.count))
        let body = UnsafeMutableRawBufferPointer(
            start: output.base + SegmentFormat.batchHeaderSize,
            count: output.capacity - SegmentFormat.batchHeaderSize)
        var codec = SegmentFormat.codecLZ4
        var stored = compressor.compress(raw, into: body) ?? Int.max
        if stored >= raw.count {
            // Incompressible: store the records as they are.
            codec = SegmentFormat.codecNone
            body.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            stored = raw.count
        }
        var header = BatchHeader(
            checksum: 0, storedLength: UInt32(stored), rawLength: UInt32(raw.count),
            firstSequence: firstSequence, recordCount: UInt32(recordCount), codec: codec,
            minTimestamp: timestamp, maxTimestamp: timestamp)
        header.encode(into: output.base)
        output.count = SegmentFormat.batchHeaderSize + stored
        header.checksum = BatchHeader.computeChecksum(output.bytes)
        output.base.storeLE(header.checksum, at: 4)
        return output.bytes
    }
}
