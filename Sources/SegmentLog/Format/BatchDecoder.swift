/// One record inside a decoded batch, viewed in place (no copies).
package struct RecordView {
    package var sequence: UInt64
    package var timestamp: Int64
    /// The event time stored with the record, nil when it was appended without one.
    package var eventTime: Int64?
    package var kind: UInt8
    package var partition: UnsafeRawBufferPointer
    package var payload: UnsafeRawBufferPointer

    package func materialize() -> LogRecord {
        LogRecord(
            sequence: sequence, timestamp: timestamp, kind: kind,
            partition: String(decoding: partition, as: UTF8.self), payload: [UInt8](payload), eventTime: eventTime)
    }
}

/// Checks and decodes whole batches that are already in memory.
package enum BatchDecoder {
    /// The decoded records area of a batch whose checksum has been verified,
    /// or the reason its contents contradict its header. Every record's
    /// bounds are checked here, so ``forEachRecord(in:header:_:)`` cannot fail.
    package static func records(
        of batch: UnsafeRawBufferPointer, header: BatchHeader, scratch: GrowableBuffer
    ) -> Swift.Result<UnsafeRawBufferPointer, BatchDecodeFailure> {
        let body = UnsafeRawBufferPointer(rebasing: batch[SegmentFormat.batchHeaderSize..<header.totalLength])
        let raw: UnsafeRawBufferPointer
        if header.codec == SegmentFormat.codecLZ4 {
            scratch.count = 0
            scratch.reserve(Int(header.rawLength))
            let destination = UnsafeMutableRawBufferPointer(start: scratch.base, count: Int(header.rawLength))
            guard LZ4Block.decompress(body, into: destination) else {
                return .failure(.init("LZ4 body does not decompress to exactly \(header.rawLength) bytes"))
            }
            raw = UnsafeRawBufferPointer(destination)
        } else {
            raw = body
        }
        var offset = 0
        var largestDelta: Int64 = -1, smallestDelta = Int64.max
        for index in 0..<header.recordCount {
            guard raw.count - offset >= SegmentFormat.recordHeaderSize else {
                return .failure(.init("record \(index) header runs past the batch body"))
            }
            let flags = raw[offset + 1]
            guard flags & ~SegmentFormat.recordFlagEventTime == 0 else {
                return .failure(.init("record \(index) has unknown flags 0x\(String(flags, radix: 16))"))
            }
            let keyLength = Int(raw.loadLE(UInt16.self, at: offset + 2))
            let payloadLength = Int(raw.loadLE(UInt32.self, at: offset + 4))
            let delta = Int64(raw.loadLE(UInt32.self, at: offset + 8))
            guard header.minTimestamp + delta <= header.maxTimestamp else {
                return .failure(.init("record \(index) timestamp lies outside the batch's range"))
            }
            largestDelta = max(largestDelta, delta)
            smallestDelta = min(smallestDelta, delta)
            let headerLength = SegmentFormat.recordHeaderSize + (flags == 0 ? 0 : SegmentFormat.eventTimeSize)
            let end = offset + headerLength + keyLength + payloadLength
            guard end <= raw.count else {
                return .failure(.init("record \(index) (\(payloadLength) bytes) runs past the batch body"))
            }
            offset = end
        }
        guard offset == raw.count else {
            return .failure(.init("batch body has \(raw.count - offset) bytes after its last record"))
        }
        // The header's range is exactly its records' (docs/format.md, "Batch").
        guard smallestDelta == 0 else {
            return .failure(.init("no record has the batch's minimum timestamp \(header.minTimestamp) (the earliest is \(header.minTimestamp + smallestDelta))"))
        }
        guard header.minTimestamp + largestDelta == header.maxTimestamp else {
            return .failure(.init("the batch's maximum timestamp \(header.maxTimestamp) is not its latest record's (\(header.minTimestamp + largestDelta))"))
        }
        return .success(raw)
    }

    /// Calls `visit` for each record of a records area returned by ``records(of:header:scratch:)``.
    @inline(__always)
    package static func forEachRecord(
        in raw: UnsafeRawBufferPointer, header: BatchHeader, _ visit: (RecordView) throws -> Void
    ) rethrows {
        var offset = 0
        for i in 0..<UInt64(header.recordCount) {
            let keyLength = Int(raw.loadLE(UInt16.self, at: offset + 2))
            let payloadLength = Int(raw.loadLE(UInt32.self, at: offset + 4))
            let hasEventTime = raw[offset + 1] != 0
            let keyStart = offset + SegmentFormat.recordHeaderSize + (hasEventTime ? SegmentFormat.eventTimeSize : 0)
            try visit(RecordView(
                sequence: header.firstSequence + i,
                timestamp: header.minTimestamp + Int64(raw.loadLE(UInt32.self, at: offset + 8)),
                eventTime: hasEventTime ? raw.loadLE(Int64.self, at: offset + SegmentFormat.recordHeaderSize) : nil,
                kind: raw[offset],
                partition: UnsafeRawBufferPointer(rebasing: raw[keyStart..<keyStart + keyLength]),
                payload: UnsafeRawBufferPointer(rebasing: raw[keyStart + keyLength..<keyStart + keyLength + payloadLength])))
            offset = keyStart + keyLength + payloadLength
        }
    }
}

/// Why a batch with a good checksum still cannot be decoded.
package struct BatchDecodeFailure: Error {
    package var reason: String
    init(_ reason: String) { self.reason = reason }
}
