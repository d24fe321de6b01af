/// Encodes records into a reused buffer and frames them as one batch:
/// records, then one LZ4 block, then the header with its CRC32C.
///
/// Record layout inside the uncompressed body (little-endian):
/// kind u8, flags u8, partition length u16, payload length u32,
/// timestamp delta u32 (µs after the batch's minimum), then, when flag bit 0
/// is set, the record's event time i64 (µs), then partition, payload.
/// Every record of a batch carries the batch's one append time (delta 0),
/// so the compressed body can be made before that time is known.
///
/// Mutable and unsynchronized: it has one user at a time (the log's writer
/// under its lock, or the owner of a ``BatchDraft``), which is what makes
/// the unchecked `Sendable` sound.
package final class BatchEncoder: @unchecked Sendable {
    private let records = GrowableBuffer()
    private let output = GrowableBuffer()
    private(set) var recordCount = 0
    /// The compressed body: set by ``compress()``, cleared when a record is
    /// added and by ``reset()``.
    private var body: (codec: UInt8, stored: Int)?
    let limits: LogLimits

    private let compressor: LZ4Compressor

    /// `reusesStream`: see ``LogOptions/reusesCompressionStream``.
    package init(limits: LogLimits, acceleration: Int = 1, reusesStream: Bool = true) {
        self.limits = limits
        compressor = LZ4Compressor(acceleration: acceleration, usesStream: reusesStream)
    }

    package func reset() {
        records.count = 0
        recordCount = 0
        body = nil
        // After one giant batch, give the memory back.
        records.shrink(to: 1 << 20)
        output.shrink(to: 1 << 20)
    }

    /// Adds one record. Throws before changing anything when a limit would be broken.
    /// `eventTime`, when given, is stored with the record (see ``LogRecord/eventTime``).
    package func add(kind: UInt8, partition: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, eventTime: Int64? = nil) throws(SegmentLogError) {
        guard partition.count <= Int(UInt16.max) else {
            throw .limitExceeded(what: "partition key", value: partition.count, limit: Int(UInt16.max))
        }
        guard payload.count <= limits.maxRecordBytes else {
            throw .limitExceeded(what: "record payload", value: payload.count, limit: limits.maxRecordBytes)
        }
        let header = SegmentFormat.recordHeaderSize + (eventTime == nil ? 0 : SegmentFormat.eventTimeSize)
        let size = header + partition.count + payload.count
        guard records.count + size <= limits.maxBatchBytes else {
            throw .limitExceeded(what: "batch", value: records.count + size, limit: limits.maxBatchBytes)
        }
        records.reserve(size)
        let p = records.base + records.count
        p.storeBytes(of: kind, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: eventTime == nil ? 0 : SegmentFormat.recordFlagEventTime, toByteOffset: 1, as: UInt8.self)
        p.storeLE(UInt16(partition.count), at: 2)
        p.storeLE(UInt32(payload.count), at: 4)
        p.storeLE(UInt32(0), at: 8)
        if let eventTime { p.storeLE(eventTime, at: SegmentFormat.recordHeaderSize) }
        records.count += header
        records.append(partition)
        records.append(payload)
        recordCount += 1
        body = nil
    }

    /// Adds a record named by its partition string and returns what the
    /// segment index needs of it (the name's hash is taken while its bytes
    /// are at hand).
    func add(kind: UInt8, partition: String, payload: UnsafeRawBufferPointer, eventTime: Int64? = nil) throws(SegmentLogError) -> PendingRecord {
        var key = partition
        let hash = try key.withUTF8 { utf8 in
            typed { () throws(SegmentLogError) in
                try add(kind: kind, partition: UnsafeRawBufferPointer(utf8), payload: payload, eventTime: eventTime)
                return ByteHash.hash(UnsafeRawBufferPointer(utf8))
            }
        }.get()
        return PendingRecord(kind: kind, partition: partition, partitionHash: hash, eventTime: eventTime)
    }

    /// Compresses and frames the records added since the last reset. The
    /// returned bytes stay valid until the next call on this encoder.
    package func finish(firstSequence: UInt64, timestamp: Int64) -> UnsafeRawBufferPointer {
        compress()
        return frame(firstSequence: firstSequence, timestamp: timestamp)
    }

    /// Compresses the records into the body (stored as they are when LZ4
    /// does not shrink them). The body does not depend on the batch's first
    /// sequence or time, so this can run before either is known.
    package func compress() {
        if body != nil { return }
        let raw = records.bytes
        output.count = 0
        output.reserve(SegmentFormat.batchHeaderSize + LZ4Block.compressBound(raw.count))
        let destination = UnsafeMutableRawBufferPointer(
            start: output.base + SegmentFormat.batchHeaderSize,
            count: output.capacity - SegmentFormat.batchHeaderSize)
        var codec = SegmentFormat.codecLZ4
        var stored = compressor.compress(raw, into: destination) ?? Int.max
        if stored >= raw.count {
            // Incompressible: store the records as they are.
            codec = SegmentFormat.codecNone
            destination.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            stored = raw.count
        }
        body = (codec, stored)
    }

    /// Bytes of the framed batch once compressed (an upper bound before).
    var framedBound: Int {
        SegmentFormat.batchHeaderSize + (body?.stored ?? LZ4Block.compressBound(records.count))
    }

    /// Puts the header with its checksum in front of the compressed body.
    /// The returned bytes stay valid until the next call on this encoder.
    package func frame(firstSequence: UInt64, timestamp: Int64) -> UnsafeRawBufferPointer {
        guard let (codec, stored) = body else { preconditionFailure("frame(firstSequence:timestamp:) before compress()") }
        var header = BatchHeader(
            checksum: 0, storedLength: UInt32(stored), rawLength: UInt32(records.count),
            firstSequence: firstSequence, recordCount: UInt32(recordCount), codec: codec,
            minTimestamp: timestamp, maxTimestamp: timestamp)
        header.encode(into: output.base)
        output.count = SegmentFormat.batchHeaderSize + stored
        header.checksum = BatchHeader.computeChecksum(output.bytes)
        output.base.storeLE(header.checksum, at: 4)
        return output.bytes
    }
}
