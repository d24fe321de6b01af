/// The corpus copied into plain memory, so timed loops reach a record's
/// payload and partition key through pointer arithmetic, with no array
/// bounds checks, retains or closures in between. Immutable once built,
/// which is why sharing it between threads is safe (hence `@unchecked Sendable`).
final class CorpusBuffers: @unchecked Sendable {
    let corpus: SignalCorpus
    let mask: Int
    private let payloadBase: UnsafeMutableRawPointer
    private let payloadOffsets: UnsafeMutablePointer<Int>
    private let partitionOf: UnsafeMutablePointer<Int32>
    private let keyBase: UnsafeMutableRawPointer
    private let keyOffsets: UnsafeMutablePointer<Int>
    /// Partition keys as Strings, indexed by partition.
    let keys: [String]

    init(_ corpus: SignalCorpus) {
        self.corpus = corpus
        mask = corpus.count - 1
        let payloadBase = UnsafeMutableRawPointer.allocate(byteCount: max(1, corpus.payloadBytes.count), alignment: 16)
        corpus.payloadBytes.withUnsafeBytes { payloadBase.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.payloadBase = payloadBase
        payloadOffsets = .allocate(capacity: corpus.payloadOffsets.count)
        payloadOffsets.initialize(from: corpus.payloadOffsets, count: corpus.payloadOffsets.count)
        partitionOf = .allocate(capacity: corpus.partitionOf.count)
        partitionOf.initialize(from: corpus.partitionOf, count: corpus.partitionOf.count)
        keys = corpus.partitionKeys
        var keyBytes: [UInt8] = []
        var offsets: [Int] = [0]
        for key in corpus.partitionKeys {
            keyBytes.append(contentsOf: key.utf8)
            offsets.append(keyBytes.count)
        }
        let keyBase = UnsafeMutableRawPointer.allocate(byteCount: max(1, keyBytes.count), alignment: 16)
        keyBytes.withUnsafeBytes { keyBase.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.keyBase = keyBase
        keyOffsets = .allocate(capacity: offsets.count)
        keyOffsets.initialize(from: offsets, count: offsets.count)
    }

    /// The payload of record `i` (any index; it wraps around the pool).
    @inline(__always)
    func payload(_ i: Int) -> UnsafeRawBufferPointer {
        let t = i & mask
        let start = payloadOffsets[t]
        return UnsafeRawBufferPointer(start: payloadBase + start, count: payloadOffsets[t + 1] - start)
    }

    /// The partition (index into ``keys``) of record `i`.
    @inline(__always)
    func partition(_ i: Int) -> Int { Int(partitionOf[i & mask]) }

    /// The UTF-8 bytes of partition key number `partition`.
    @inline(__always)
    func keyBytes(_ partition: Int) -> UnsafeRawBufferPointer {
        let start = keyOffsets[partition]
        return UnsafeRawBufferPointer(start: keyBase + start, count: keyOffsets[partition + 1] - start)
    }

    deinit {
        payloadBase.deallocate()
        payloadOffsets.deallocate()
        partitionOf.deallocate()
        keyBase.deallocate()
        keyOffsets.deallocate()
    }
}
