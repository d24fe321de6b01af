#if canImport(Glibc)
import Glibc
#endif
import CBenchLZ4
import SegmentLog

/// Workload 2: what this machine allows, measured in the same run.
///
/// - compression bound: LZ4-compress and CRC32C the encoded batches in
///   memory, no I/O — no ingest can beat it;
/// - disk bounds: `write` the compressed batches sequentially to a file,
///   without syncing, with one `fdatasync` at the end (sustained disk
///   bandwidth), and with an `fdatasync` after every batch (what an
///   `always` log must wait for with one writer).
struct MachineBounds {
    struct Result: Codable, Sendable {
        var batchSize: Int
        var records: Int
        /// LZ4 (at the engine's default acceleration, ``compressionAcceleration``)
        /// + CRC32C in memory.
        var compressionAcceleration: Int32
        var compressRecordsPerSecond: Double
        var compressInputMegabytesPerSecond: Double
        /// Encoded bytes / compressed bytes.
        var compressionRatio: Double
        /// The same at LZ4's own default acceleration, 1 (the best
        /// compression), for reference.
        var referenceAcceleration: Int32
        var referenceCompressRecordsPerSecond: Double
        var referenceCompressionRatio: Double
        /// Compressed bytes (with batch headers) per record.
        var storedBytesPerRecord: Double
        /// `write` only: the page cache's speed.
        var writeRecordsPerSecond: Double
        /// `write` of everything, then one `fdatasync`: the disk's sustained bandwidth.
        var writeSyncOnceRecordsPerSecond: Double
        var writeSyncOnceMegabytesPerSecond: Double
        /// `write` + `fdatasync` per batch, over fewer records.
        var writeSyncEachRecordsPerSecond: Double
        var writeSyncEachRecords: Int
        /// Median latency of one write + fdatasync of a batch, in milliseconds.
        var syncMillisecondsMedian: Double
    }

    let buffers: CorpusBuffers

    /// Measures the bounds over `records` records in batches of `batchSize`;
    /// the per-batch-sync bound covers at most `syncedBatches` (and 500)
    /// batches. A bound is the best the machine can do, so each is the
    /// fastest of `repeats` tries.
    func run(directory: String, batchSize: Int, records: Int, syncedBatches: Int, repeats: Int) throws(BenchFailure) -> Result {
        let encoded = EncodedBatches(buffers, batchSize: batchSize)
        let batchCount = max(1, records / batchSize)
        // Compress each distinct batch once to size the output buffers and
        // keep the stored bytes for the disk bounds.
        var stored: [[UInt8]] = []
        var rawTotal = 0, storedTotal = 0
        for raw in encoded.batches {
            let bytes = Self.compressAndChecksum(raw)
            stored.append(bytes)
            rawTotal += raw.count
            storedTotal += bytes.count
        }

        let capacity = EncodedBatches.batchHeaderBytes + Int(LZ4_compressBound(Int32(encoded.batches.map(\.count).max() ?? 0)))
        let output = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { output.deallocate() }
        let inputBytes = (0..<batchCount).reduce(0) { $0 + encoded.batches[$1 % encoded.batches.count].count }
        let engine = Self.timeCompression(encoded, batches: batchCount, output: output, capacity: capacity,
                                          acceleration: Self.engineAcceleration, repeats: repeats)
        let reference = Self.timeCompression(encoded, batches: batchCount, output: output, capacity: capacity,
                                             acceleration: Self.referenceAcceleration, repeats: repeats)
        let compressSeconds = engine.seconds

        // The disk bounds write at most 500 k records' worth per try, best of `repeats`.
        let path = directory + "/disk-bound.bin"
        defer { DirectorySize.remove(path) }
        let writeBatches = max(1, min(batchCount, 500_000 / batchSize))
        var writeSeconds = Double.infinity
        var once = WriteTiming(seconds: .infinity, bytes: 0, medianBatchMilliseconds: 0)
        for _ in 0..<repeats {
            writeSeconds = min(writeSeconds, try Self.write(stored, batches: writeBatches, to: path, sync: .never).seconds)
            DirectorySize.remove(path)
            let timing = try Self.write(stored, batches: writeBatches, to: path, sync: .atEnd)
            if timing.seconds < once.seconds { once = timing }
            DirectorySize.remove(path)
        }
        let syncedCount = max(1, min(batchCount, syncedBatches, 500))
        let each = try Self.write(stored, batches: syncedCount, to: path, sync: .eachBatch)
        let records = batchCount * batchSize
        return Result(
            batchSize: batchSize, records: records,
            compressionAcceleration: Self.engineAcceleration,
            compressRecordsPerSecond: Double(records) / compressSeconds,
            compressInputMegabytesPerSecond: Double(inputBytes) / compressSeconds / 1e6,
            compressionRatio: Double(rawTotal) / Double(storedTotal),
            referenceAcceleration: Self.referenceAcceleration,
            referenceCompressRecordsPerSecond: Double(records) / reference.seconds,
            referenceCompressionRatio: reference.ratio,
            storedBytesPerRecord: Double(storedTotal) / Double(encoded.batches.count * batchSize),
            writeRecordsPerSecond: Double(writeBatches * batchSize) / writeSeconds,
            writeSyncOnceRecordsPerSecond: Double(writeBatches * batchSize) / once.seconds,
            writeSyncOnceMegabytesPerSecond: Double(once.bytes) / once.seconds / 1e6,
            writeSyncEachRecordsPerSecond: Double(syncedCount * batchSize) / each.seconds,
            writeSyncEachRecords: syncedCount * batchSize,
            syncMillisecondsMedian: each.medianBatchMilliseconds)
    }

    /// The acceleration the engine compresses with by default, and LZ4's own default.
    static let engineAcceleration = Int32(LogOptions().compressionAcceleration)
    static let referenceAcceleration: Int32 = 1

    /// Best time over `repeats` to LZ4-compress (at `acceleration`) and
    /// checksum `batches` batches, and the compression ratio it reached.
    static func timeCompression(
        _ encoded: EncodedBatches, batches: Int, output: UnsafeMutableRawPointer, capacity: Int, acceleration: Int32, repeats: Int
    ) -> (seconds: Double, ratio: Double) {
        var best = Double.infinity
        var raw = 0, stored = 0
        for _ in 0..<repeats {
            var sink: UInt32 = 0
            raw = 0
            stored = 0
            let start = Stopwatch.now()
            for b in 0..<batches {
                let batch = encoded.batches[b % encoded.batches.count]
                batch.withUnsafeBytes { source in
                    let body = output + EncodedBatches.batchHeaderBytes
                    let n = LZ4_compress_fast(
                        source.baseAddress!.assumingMemoryBound(to: CChar.self), body.assumingMemoryBound(to: CChar.self),
                        Int32(source.count), Int32(capacity - EncodedBatches.batchHeaderBytes), acceleration)
                    memset(output, 0, EncodedBatches.batchHeaderBytes)
                    sink ^= CRC32C.checksum(UnsafeRawBufferPointer(start: output, count: EncodedBatches.batchHeaderBytes + Int(n)))
                    raw += source.count
                    stored += EncodedBatches.batchHeaderBytes + Int(n)
                }
            }
            best = min(best, Stopwatch.seconds(since: start))
            blackHole(sink)
        }
        return (best, Double(raw) / Double(max(1, stored)))
    }

    /// One batch framed as stored: room for the header, the LZ4 block, and a
    /// CRC32C over both (computed to mirror the engine's work).
    static func compressAndChecksum(_ raw: [UInt8]) -> [UInt8] {
        let bound = Int(LZ4_compressBound(Int32(raw.count)))
        var out = [UInt8](repeating: 0, count: EncodedBatches.batchHeaderBytes + bound)
        let n = raw.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { destination in
                LZ4_compress_fast(
                    source.baseAddress!.assumingMemoryBound(to: CChar.self),
                    (destination.baseAddress! + EncodedBatches.batchHeaderBytes).assumingMemoryBound(to: CChar.self),
                    Int32(raw.count), Int32(bound), engineAcceleration)
            }
        }
        out.removeLast(bound - Int(n))
        let crc = CRC32C.checksum(out)
        out[4] = UInt8(truncatingIfNeeded: crc)
        return out
    }

    enum SyncMode { case never, atEnd, eachBatch }

    struct WriteTiming {
        var seconds: Double
        var bytes: Int
        var medianBatchMilliseconds: Double
    }

    /// Writes `batches` batches (cycling through `stored`) sequentially to a new file at `path`.
    static func write(_ stored: [[UInt8]], batches: Int, to path: String, sync: SyncMode) throws(BenchFailure) -> WriteTiming {
        DirectorySize.remove(path)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        var latencies: [Double] = []
        var bytes = 0
        let start = Stopwatch.now()
        for b in 0..<batches {
            let batchStart = Stopwatch.now()
            let chunk = stored[b % stored.count]
            let written = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == chunk.count else { throw .io(operation: "write", path: path, errno: errno) }
            bytes += written
            if sync == .eachBatch {
                guard fdatasync(fd) == 0 else { throw .io(operation: "fdatasync", path: path, errno: errno) }
                latencies.append(Stopwatch.seconds(since: batchStart) * 1000)
            }
        }
        if sync == .atEnd {
            guard fdatasync(fd) == 0 else { throw .io(operation: "fdatasync", path: path, errno: errno) }
        }
        let seconds = Stopwatch.seconds(since: start)
        return WriteTiming(seconds: seconds, bytes: bytes, medianBatchMilliseconds: Percentiles(latencies).value(at: 0.5))
    }
}
