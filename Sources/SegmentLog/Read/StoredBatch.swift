/// One batch exactly as a segment file stores it: the 48-byte header and the
/// (usually LZ4) body (docs/format.md, "Batch"). ``LogReader/nextBatch()``
/// returns them for copying a log batch by batch (`signallog mirror --mode
/// batch`); ``decode(_:limits:)`` checks one and gives back its records.
public struct StoredBatch: Sendable, Equatable {
    public var firstSequence: UInt64
    public var recordCount: Int
    /// The batch's append-time range (the engine stamps a whole batch with
    /// one time, so usually min = max).
    public var minTimestamp: Int64
    public var maxTimestamp: Int64
    /// Header and body as on disk.
    public var bytes: [UInt8]

    public var lastSequence: UInt64 { firstSequence + UInt64(recordCount) - 1 }

    package init(header: BatchHeader, bytes: [UInt8]) {
        firstSequence = header.firstSequence
        recordCount = Int(header.recordCount)
        minTimestamp = header.minTimestamp
        maxTimestamp = header.maxTimestamp
        self.bytes = bytes
    }

    /// Checks a batch's bytes as a reader checks them on disk (structure,
    /// limits, checksum, decompression, every record's bounds) and returns
    /// the batch with its records. Throws ``SegmentLogError/corruption(path:offset:reason:)``
    /// with path `"(batch)"` and offset 0 when they fail.
    ///
    /// - Parameters:
    ///   - bytes: a batch's header and body, as a segment stores them.
    ///   - limits: the size limits to check the batch against.
    /// - Returns: the batch and its records.
    /// - Throws: ``SegmentLogError/corruption(path:offset:reason:)`` when the
    ///   bytes fail a check.
    public static func decode(_ bytes: [UInt8], limits: LogLimits = LogLimits()) throws(SegmentLogError) -> (batch: StoredBatch, records: [LogRecord]) {
        let result = bytes.withUnsafeBytes { (raw) -> Result<(StoredBatch, [LogRecord]), SegmentLogError> in
            func damaged(_ reason: String) -> Result<(StoredBatch, [LogRecord]), SegmentLogError> {
                .failure(.corruption(path: "(batch)", offset: 0, reason: reason))
            }
            guard let header = BatchHeader.decode(raw) else { return damaged("no valid batch header") }
            if let reason = header.implausibility(available: Int64(raw.count), limits: limits) { return damaged(reason) }
            guard header.totalLength == raw.count else {
                return damaged("batch of \(header.totalLength) bytes in \(raw.count) bytes")
            }
            let computed = BatchHeader.computeChecksum(raw)
            guard computed == header.checksum else {
                return damaged("batch checksum 0x\(String(header.checksum, radix: 16)) does not match computed 0x\(String(computed, radix: 16))")
            }
            // The decompressed records live in `scratch`: it must outlive the loop below.
            let scratch = GrowableBuffer(capacity: Int(header.rawLength))
            defer { withExtendedLifetime(scratch) {} }
            switch BatchDecoder.records(of: raw, header: header, scratch: scratch) {
            case .failure(let failure):
                return damaged(failure.reason)
            case .success(let area):
                var records: [LogRecord] = []
                records.reserveCapacity(Int(header.recordCount))
                BatchDecoder.forEachRecord(in: area, header: header) { records.append($0.materialize()) }
                return .success((StoredBatch(header: header, bytes: bytes), records))
            }
        }
        return try result.get()
    }
}
