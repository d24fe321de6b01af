#if canImport(SegmentLog)
@testable import SegmentLog
#endif

/// The decoding entry points under fuzzing (docs/reliability-tests.md #10): the segment
/// scanner and reader, the index file parser, and the batch header, LZ4 and
/// record decoder. Each takes arbitrary bytes, must return (never crash,
/// never allocate without bound, never hang), and checks invariants that
/// must hold for any input; a broken invariant is returned as a violation.
///
/// The same code runs under libFuzzer (tools/fuzz, where a violation
/// aborts) and in the corpus replay test (where it is a test failure).
enum FuzzHarness {
    enum Target: String, CaseIterable, Sendable {
        case segment, index, batch
    }

    /// Limits small enough that the fuzzer's memory limit is never the one that trips.
    static let limits: LogLimits = {
        var limits = LogLimits()
        limits.maxRecordBytes = 1 << 20
        limits.maxBatchBytes = 4 << 20
        limits.maxIndexBytes = 4 << 20
        return limits
    }()

    /// Runs `target` on `input`; nil, or the invariant the input broke.
    static func run(_ target: Target, _ input: [UInt8]) -> String? {
        switch target {
        case .segment: return segment(input)
        case .index: return index(input)
        case .batch: return batch(input)
        }
    }

    /// The input is a segment body behind a valid header; if its first byte
    /// is odd it is the whole file, header included. The scan must index only
    /// batches a reader can read back, and its index must survive the index
    /// file format.
    static func segment(_ input: [UInt8]) -> String? {
        let path = "fuzz.seg"
        let header: SegmentHeader
        let bytes: [UInt8]
        if let first = input.first, first & 1 == 1 {
            bytes = input
            let decoded = bytes.withUnsafeBytes { buffer in
                Result { () throws(SegmentLogError) in try SegmentHeader.decode(buffer, path: path) }
            }
            guard case .success(let value) = decoded else { return nil }
            header = value
        } else {
            header = SegmentHeader(baseSequence: 0, createdAt: 0)
            bytes = header.bytes + input
        }
        let file = MemoryLogFile(path: path, bytes: bytes)
        let scanner = SegmentScanner(path: path, limits: limits, indexInterval: 256)
        let scan: SegmentScanner.Result
        do {
            scan = try scanner.scan(file, header: header, size: Int64(bytes.count))
        } catch {
            return "the scanner threw \(error) on an in-memory file"
        }
        // A clean scan's index must survive its file format. (With damage in
        // the segment it may not: see IndexRoundTripTests.)
        if scan.damage.isEmpty, let violation = index(IndexFile.encode(scan.index), expected: scan.index) { return violation }
        guard scan.index.length <= Int64(bytes.count) else { return "the scan indexed \(scan.index.length) bytes of a \(bytes.count)-byte file" }
        let slot = SegmentSlot(path: path, file: file, index: scan.index, isSealed: true, damage: scan.damage)
        let reader = LogReader(slots: [slot], query: LogQuery(), limits: limits, fileSystem: PosixFileSystem())
        var count: UInt64 = 0
        var previous: UInt64? = nil
        while true {
            let record: LogRecord?
            do {
                record = try reader.next()
            } catch {
                if scan.damage.isEmpty { return "reading a cleanly scanned segment threw \(error)" }
                break
            }
            guard let record else { break }
            if let previous, record.sequence <= previous { return "sequence \(record.sequence) after \(previous)" }
            if scan.damage.isEmpty, !(scan.index.minEventTime...scan.index.maxEventTime).contains(record.eventTimeOrAppendTime) {
                return "record \(record.sequence) has event time \(record.eventTimeOrAppendTime) outside the indexed \(scan.index.minEventTime)...\(scan.index.maxEventTime)"
            }
            previous = record.sequence
            count += 1
        }
        if scan.damage.isEmpty && count != scan.index.recordCount {
            return "the reader returned \(count) records, the scan indexed \(scan.index.recordCount)"
        }
        return nil
    }

    /// The input is an index file. What decodes must encode and decode to
    /// the same index.
    static func index(_ input: [UInt8]) -> String? { index(input, expected: nil) }

    private static func index(_ input: [UInt8], expected: SegmentIndex?) -> String? {
        let decoded = input.withUnsafeBytes { buffer in
            Result { () throws(SegmentLogError) in try IndexFile.decode(buffer, path: "fuzz.idx") }
        }
        guard case .success(let index) = decoded else {
            return expected == nil ? nil : "an index the engine encoded does not decode: \(decoded)"
        }
        if let expected, index != expected { return "an encoded index decodes to a different index" }
        let again = IndexFile.encode(index).withUnsafeBytes { buffer in
            Result { () throws(SegmentLogError) in try IndexFile.decode(buffer, path: "fuzz.idx") }
        }
        // A version 1 file is written back as version 2, with the event
        // ranges its decoding derived: the same index apart from the version.
        guard case .success(var second) = again, second.fileVersion == SegmentFormat.version else { return "a decoded index does not survive encoding" }
        second.fileVersion = index.fileVersion
        guard second == index else { return "a decoded index does not survive encoding" }
        return nil
    }

    /// The input is one batch (its checksum is not checked, so the fuzzer
    /// reaches the LZ4 and record decoding behind it). Whatever the header
    /// claims, decoding must stay inside the input and what decodes must
    /// hold exactly the records the header counts.
    static func batch(_ input: [UInt8]) -> String? {
        input.withUnsafeBytes { bytes -> String? in
            guard let header = BatchHeader.decode(bytes) else { return nil }
            guard header.implausibility(available: Int64(bytes.count), limits: limits) == nil else { return nil }
            let batch = UnsafeRawBufferPointer(rebasing: bytes[0..<header.totalLength])
            let scratch = GrowableBuffer()
            switch BatchDecoder.records(of: batch, header: header, scratch: scratch) {
            case .failure:
                return nil
            case .success(let raw):
                guard raw.count == Int(header.rawLength) else { return "decoded \(raw.count) bytes for a raw length of \(header.rawLength)" }
                var count: UInt32 = 0
                BatchDecoder.forEachRecord(in: raw, header: header) { record in
                    _ = record.materialize()
                    count += 1
                }
                return count == header.recordCount ? nil : "decoded \(count) records for a count of \(header.recordCount)"
            }
        }
    }
}
