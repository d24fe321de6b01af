import Foundation
import Testing
@testable import SegmentLog

/// `LogReader.nextBatch()` and `StoredBatch.decode`: batches as stored, for copying a log.
@Suite struct StoredBatchTests {
    @Test func readsEachBatchWholeAndDecodesItBack() throws {
        let path = FileManager.default.temporaryDirectory.path + "/stored-batch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = LogOptions()
        options.segmentMaxBytes = 4096
        let log = try SegmentLog.open(directory: path, options: options)
        var sizes: [Int] = []
        for i in 0..<40 {
            let size = 1 + i % 7
            try log.append((0..<size).map { AppendRecord(kind: UInt8(i % 3), partition: "p\($0)", payload: Array(repeating: UInt8(i), count: 50 + $0)) })
            sizes.append(size)
        }
        let reader = log.read()
        var records: [LogRecord] = []
        while let record = try reader.next() { records.append(record) }

        let batchReader = log.read()
        var batches: [StoredBatch] = []
        var decoded: [LogRecord] = []
        while let batch = try batchReader.nextBatch() {
            batches.append(batch)
            let (again, batchRecords) = try StoredBatch.decode(batch.bytes)
            #expect(again == batch)
            decoded += batchRecords
        }
        #expect(batches.map(\.recordCount) == sizes)
        #expect(batches.first?.firstSequence == 0)
        #expect(zip(batches, batches.dropFirst()).allSatisfy { $0.lastSequence + 1 == $1.firstSequence })
        #expect(decoded == records)
        #expect(log.segments().count > 1)

        // From the middle: the batch holding the sequence comes whole.
        let middle = log.read(LogQuery(fromSequence: batches[5].firstSequence + 1))
        #expect(try middle.nextBatch() == batches[5])

        var damaged = batches[3].bytes
        damaged[damaged.count - 1] ^= 0x40
        #expect(throws: SegmentLogError.self) { _ = try StoredBatch.decode(damaged) }
        #expect(throws: SegmentLogError.self) { _ = try StoredBatch.decode(Array(batches[3].bytes.dropLast())) }
        try log.close()
    }
}
