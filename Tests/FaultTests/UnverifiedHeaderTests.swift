import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #7, directed: a bit flip in a batch header's sequence or
/// time fields (which the checksum covers) must not make a reader skip the
/// batch — or stop early — on the strength of the unverified header. Every
/// query that the damaged batch could answer must either return exactly the
/// right records or fail with a corruption error for that batch.
@Suite("Damaged batch headers never steer a reader (reliability scenario #7)")
struct UnverifiedHeaderTests {
    /// Header fields a reader might consult before checking the checksum.
    static let fields: [(String, Int, Int)] = [("first sequence", 16, 8), ("min timestamp", 32, 8), ("max timestamp", 40, 8), ("record count", 24, 4)]

    @Test(arguments: 0..<4)
    func flippedHeaderFieldIsNotTrusted(_ fieldIndex: Int) throws {
        let (field, offset, width) = Self.fields[fieldIndex]
        let directory = TemporaryDirectory("header")
        let generated = try GeneratedLog(directory: directory.child(), seed: 5, batchCount: 60, segmentMaxBytes: 8192)
        let sealed = Set(generated.segmentPaths.dropLast())
        let options = generated.options(segmentMaxBytes: 8192)
        var failures: [String] = []
        for damaged in generated.batches where sealed.contains(damaged.path) && damaged.sequences.count > 1 {
            let original = FileBytes.read(damaged.path)
            defer { FileBytes.write(damaged.path, original) }
            // Every bit of the field, one at a time.
            for bit in 0..<(width * 8) {
                FileBytes.flipBit(damaged.path, bit: (Int(damaged.offset) + offset) * 8 + bit)
                let log = try SegmentLog.openReadOnly(directory: generated.directory, options: options)
                let queries = [
                    LogQuery(fromSequence: damaged.sequences.lowerBound + 1),
                    LogQuery(fromSequence: damaged.sequences.lowerBound, throughSequence: damaged.sequences.upperBound),
                    LogQuery(since: damaged.timestamp, until: damaged.timestamp + 1),
                ]
                for query in queries {
                    let run = QueryRun(log, query)
                    let expected = generated.expected(query)
                    let exact = run.error == nil && run.sequences == expected
                    let stopped = run.stoppedAt(path: damaged.path, offset: damaged.offset) && run.sequences == Array(expected.prefix(run.sequences.count))
                    if run.corruptRecord != nil || !(exact || stopped) {
                        failures.append("\(field) bit \(bit) of the batch at \(damaged.offset) (\(damaged.sequences)): \(query) returned \(run.sequences.count) of \(expected.count) records, error \(String(describing: run.error))")
                    }
                }
                try log.close()
                FileBytes.write(damaged.path, original)
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.count) reads were steered by a damaged header, e.g. \(failures.prefix(3))")
    }
}
