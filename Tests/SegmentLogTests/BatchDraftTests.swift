import Testing
@testable import SegmentLog

/// Drafts are compressed before the log's lock and appended later: what they
/// write must be exactly what `appendBatch` would have written.
@Suite struct BatchDraftTests {
    static func records(_ round: Int, count: Int) -> [AppendRecord] {
        (0..<count).map { AppendRecord(kind: UInt8($0 % 5 + 1), partition: "p\((round + $0) % 7)", payload: payload(round * 100 + $0, size: 40 + $0 * 13)) }
    }

    @Test func draftsAndBuiltBatchesInterleaveIntoOneGapFreeLog() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock, segmentMaxBytes: 4 << 10))
        var expected: [AppendRecord] = []
        for round in 0..<60 {
            clock.advance(byMicroseconds: 1_000)
            let records = Self.records(round, count: round % 9 + 1)
            let result: AppendResult
            if round % 2 == 0 {
                let draft = log.makeDraft()
                for record in records { try draft.add(kind: record.kind, partition: record.partition, payload: record.payload) }
                #expect(draft.count == records.count)
                if round % 4 == 0 { draft.compress() }
                result = try log.append(draft)
                #expect(draft.count == 0, "appending empties the draft")
            } else {
                result = try log.append(records)
            }
            #expect(result.firstSequence == UInt64(expected.count))
            #expect(result.lastSequence == UInt64(expected.count + records.count - 1))
            #expect(result.timestamp == clock.nowMicroseconds())
            expected += records
        }
        #expect(log.segments().count > 2, "the small segment size made drafts cross rotations")
        try log.close()

        let reopened = try SegmentLog.openReadOnly(directory: directory.child())
        let read = try readAll(reopened)
        #expect(read.map(\.sequence) == Array(0..<UInt64(expected.count)))
        #expect(read.map(\.payload) == expected.map(\.payload))
        #expect(read.map(\.partition) == expected.map(\.partition))
        #expect(read.map(\.kind) == expected.map(\.kind))
        // The index counted the drafts' records by partition like the others.
        let partition = try readAll(reopened, LogQuery(partitions: ["p3"]))
        #expect(partition.map(\.payload) == expected.filter { $0.partition == "p3" }.map(\.payload))
        try reopened.close()
    }

    @Test func aGivenTimestampIsUsedButNeverBeforeTheLastBatch() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(microseconds: 10_000)
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock))
        #expect(log.lastAppendTime == nil)
        let draft = log.makeDraft()
        try draft.add(kind: 1, partition: "a", payload: [1, 2, 3])
        #expect(try log.append(draft, at: 12_345).timestamp == 12_345)
        #expect(log.lastAppendTime == 12_345)
        try draft.add(kind: 1, partition: "a", payload: [4])
        // Earlier than the last batch: stamped with the last batch's time.
        #expect(try log.append(draft, at: 5).timestamp == 12_345)
        try draft.add(kind: 1, partition: "a", payload: [5])
        // No time given: the clock, still never earlier than the last batch.
        #expect(try log.append(draft).timestamp == 12_345)
        clock.advance(byMicroseconds: 10_000)
        try draft.add(kind: 1, partition: "a", payload: [6])
        #expect(try log.append(draft).timestamp == 20_000)
        #expect(try readAll(log).map(\.timestamp) == [12_345, 12_345, 12_345, 20_000])
        try log.close()
    }

    @Test func aRecordAddedAfterCompressingIsWrittenToo() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        let draft = log.makeDraft()
        try draft.add(kind: 1, partition: "p", payload: payload(1, size: 500))
        draft.compress()
        try draft.add(kind: 2, partition: "q", payload: payload(2, size: 700))
        let result = try log.append(draft)
        #expect(result.lastSequence == 1)
        let records = try readAll(log)
        #expect(records.map(\.payload) == [payload(1, size: 500), payload(2, size: 700)])
        try log.close()
    }

    @Test func emptyDraftsAndBrokenLimitsAreRefusedWithoutWriting() throws {
        let directory = TemporaryDirectory()
        var limits = LogLimits()
        limits.maxRecordBytes = 1_000
        limits.maxBatchBytes = 4_000
        let log = try SegmentLog.open(directory: directory.child(), options: options { $0.limits = limits })
        let draft = log.makeDraft()
        #expect(throws: SegmentLogError.self) { try log.append(draft) }
        #expect(throws: SegmentLogError.self) { try draft.add(kind: 1, partition: "p", payload: payload(0, size: 1_001)) }
        #expect(draft.count == 0, "a refused record is not added")
        for i in 0..<3 { try draft.add(kind: 1, partition: "p", payload: payload(i, size: 1_000)) }
        #expect(throws: SegmentLogError.self) { try draft.add(kind: 1, partition: "p", payload: payload(9, size: 1_000)) }
        #expect(draft.count == 3)
        draft.removeAll()
        #expect(draft.count == 0)
        #expect(log.nextSequence == 0, "nothing was written")
        try draft.add(kind: 1, partition: "p", payload: [7])
        #expect(try log.append(draft).firstSequence == 0)
        try log.close()
    }

    @Test func appendingToAClosedLogThrowsAndKeepsTheDraft() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        let draft = log.makeDraft()
        try draft.add(kind: 1, partition: "p", payload: [1])
        try log.close()
        #expect(throws: SegmentLogError.self) { try log.append(draft) }
        #expect(draft.count == 1, "a refused append leaves the records for another try")
    }

    /// Drafts are filled and compressed on several threads at once while
    /// others append; every record arrives once, each batch contiguous.
    @Test func draftsPreparedConcurrentlyAppendWhole() async throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: 64 << 10))
        let writers = 4, batches = 40, perBatch = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for batch in 0..<batches {
                        let draft = log.makeDraft()
                        for index in 0..<perBatch {
                            try draft.add(kind: 1, partition: "w\(writer)", payload: Array("\(writer)/\(batch)/\(index)".utf8))
                        }
                        draft.compress()
                        try log.append(draft)
                    }
                }
            }
            try await group.waitForAll()
        }
        let records = try readAll(log)
        #expect(records.count == writers * batches * perBatch)
        #expect(records.map(\.sequence) == Array(0..<UInt64(records.count)))
        for start in stride(from: 0, to: records.count, by: perBatch) {
            let texts = records[start..<start + perBatch].map { String(decoding: $0.payload, as: UTF8.self).split(separator: "/") }
            #expect(Set(texts.map { "\($0[0])/\($0[1])" }).count == 1, "batch at \(start) is one draft")
            #expect(texts.map { Int($0[2])! } == Array(0..<perBatch))
        }
        try log.close()
    }
}
