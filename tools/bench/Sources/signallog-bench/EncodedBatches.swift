/// The corpus encoded the way SignalLog lays records out inside a batch
/// (kind u8, flags u8, partition length u16, payload length u32, time delta
/// u32, partition, payload — see docs/format.md), in batches of a fixed
/// size, each preceded by room for the 48-byte batch header. The machine
/// bounds compress, checksum and write exactly these bytes.
final class EncodedBatches {
    static let recordHeaderBytes = 12
    static let batchHeaderBytes = 48

    /// Records per batch.
    let batchSize: Int
    /// Encoded record bytes of each distinct batch.
    let batches: [[UInt8]]

    /// Encodes the pool's records into `corpus.count / batchSize` distinct batches.
    init(_ buffers: CorpusBuffers, batchSize: Int) {
        self.batchSize = batchSize
        var batches: [[UInt8]] = []
        let count = max(1, buffers.corpus.count / batchSize)
        for b in 0..<count {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batchSize * 340)
            for i in (b * batchSize)..<((b + 1) * batchSize) {
                let key = buffers.keyBytes(buffers.partition(i))
                let payload = buffers.payload(i)
                bytes.append(1)
                bytes.append(0)
                Self.appendLE(UInt64(key.count), bytes: 2, to: &bytes)
                Self.appendLE(UInt64(payload.count), bytes: 4, to: &bytes)
                Self.appendLE(0, bytes: 4, to: &bytes)
                bytes.append(contentsOf: key)
                bytes.append(contentsOf: payload)
            }
            batches.append(bytes)
        }
        self.batches = batches
    }

    private static func appendLE(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for shift in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
    }
}
