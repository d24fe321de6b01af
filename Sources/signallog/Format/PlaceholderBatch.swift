import CLZ4

/// Encodes batches of kind-0 placeholder records, which `repair` writes in
/// place of records whose bytes were unreadable, so sequence numbers stay
/// gap-free and every reader sees that records were lost, and where their
/// bytes went.
enum PlaceholderBatch {
    /// Records per batch.
    static let batchSize = 8192

    /// The payload of each placeholder: a small JSON object.
    static func payload(corruptFile: String, reason: String) -> [UInt8] {
        Array(JSON.object([
            ("lost", .bool(true)),
            ("corrupt_file", .string(corruptFile)),
            ("reason", .string(reason)),
        ]).compact.utf8)
    }

    /// Batches for `sequences`, all stamped `timestamp`.
    static func batches(for sequences: Range<UInt64>, timestamp: Int64, payload: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var first = sequences.lowerBound
        while first < sequences.upperBound {
            let count = Int(min(UInt64(batchSize), sequences.upperBound - first))
            out.append(encode(firstSequence: first, count: count, timestamp: timestamp, payload: payload))
            first += UInt64(count)
        }
        return out
    }

    static func encode(firstSequence: UInt64, count: Int, timestamp: Int64, payload: [UInt8]) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(count * (OnDisk.recordHeaderSize + payload.count))
        for _ in 0..<count {
            raw.append(RecordKinds.lost)
            raw.append(0)
            raw.putLE(UInt16(0))
            raw.putLE(UInt32(payload.count))
            raw.putLE(UInt32(0))
            raw.append(contentsOf: payload)
        }
        var body = [UInt8](repeating: 0, count: OnDisk.lz4Bound(raw.count))
        let compressed = raw.withUnsafeBytes { source in
            body.withUnsafeMutableBytes { destination in
                LZ4_compress_default(
                    source.baseAddress!.assumingMemoryBound(to: CChar.self),
                    destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                    Int32(source.count), Int32(destination.count))
            }
        }
        var codec = OnDisk.codecLZ4
        if compressed > 0 && Int(compressed) < raw.count {
            body.removeLast(body.count - Int(compressed))
        } else {
            codec = OnDisk.codecNone
            body = raw
        }
        var batch: [UInt8] = []
        batch.reserveCapacity(OnDisk.batchHeaderSize + body.count)
        batch.putLE(OnDisk.batchMagic)
        batch.putLE(UInt32(0))
        batch.putLE(UInt32(body.count))
        batch.putLE(UInt32(raw.count))
        batch.putLE(firstSequence)
        batch.putLE(UInt32(count))
        batch.append(codec)
        batch.append(0)
        batch.putLE(UInt16(0))
        batch.putLE(timestamp)
        batch.putLE(timestamp)
        batch.append(contentsOf: body)
        let crc = batch.withUnsafeBytes { OnDisk.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        withUnsafeBytes(of: crc.littleEndian) { bytes in
            for i in 0..<4 { batch[4 + i] = bytes[i] }
        }
        return batch
    }
}
