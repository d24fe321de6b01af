import Foundation
import Testing
@testable import SegmentLog

/// Event-time queries (``LogQuery/timeAxis`` `.event`) against a brute-force
/// scan of every record, over random logs whose event times arrive out of
/// order, with and without an event time, across rotations, reopens, index
/// files and the active segment of a live writer.
@Suite struct EventTimeQueryTests {
    /// A random log: `batches` appends of 1...20 records in up to
    /// `partitions` partitions and 3 kinds; event times drift forward with
    /// jitter of ±`jitter` µs, and about one record in `missingOneIn` has
    /// none (0: every record has one).
    static func writeRandomLog(
        at path: String, seed: UInt64, batches: Int, partitions: Int = 12, jitter: Int64 = 300_000_000, missingOneIn: Int = 8,
        segmentMaxBytes: Int64 = 24 * 1024, clock: ManualClock = ManualClock(microseconds: 1_700_000_000_000_000)
    ) throws -> SegmentLog {
        var random = SeededGenerator(seed: seed)
        var options = options(clock: clock, segmentMaxBytes: segmentMaxBytes)
        options.indexIntervalBytes = 1024
        let log = try SegmentLog.open(directory: path, options: options)
        var eventClock: Int64 = 1_600_000_000_000_000
        for batch in 0..<batches {
            let count = Int.random(in: 1...20, using: &random)
            var records: [AppendRecord] = []
            for i in 0..<count {
                eventClock += Int64.random(in: 0...2_000_000, using: &random)
                let event: Int64? = missingOneIn > 0 && Int.random(in: 0..<missingOneIn, using: &random) == 0
                    ? nil : eventClock + Int64.random(in: -jitter...jitter, using: &random)
                records.append(AppendRecord(
                    kind: UInt8.random(in: 1...3, using: &random),
                    partition: "p\(Int.random(in: 0..<partitions, using: &random))",
                    payload: payload(batch * 100 + i, size: Int.random(in: 10...200, using: &random)), eventTime: event))
            }
            _ = try log.append(records)
            clock.advance(byMicroseconds: Int64.random(in: 0...5_000_000, using: &random))
        }
        return log
    }

    /// Every record the query should return, found by looking at each one.
    static func bruteForce(_ all: [LogRecord], _ query: LogQuery) -> [LogRecord] {
        all.filter { record in
            query.matches(sequence: record.sequence, timestamp: record.timestamp, kind: record.kind, eventTime: record.eventTime)
                && (query.partitions?.contains(record.partition) ?? true)
        }
    }

    /// Random event-time (and a few append-time) queries over `log`, each
    /// compared with the brute-force answer.
    static func checkQueries(_ log: SegmentLog, all: [LogRecord], seed: UInt64, count: Int = 60, partitions: Int = 12) throws {
        var random = SeededGenerator(seed: seed)
        let events = all.map(\.eventTimeOrAppendTime)
        let low = events.min()!, high = events.max()!
        for _ in 0..<count {
            var query = LogQuery(timeAxis: Bool.random(using: &random) || Int.random(in: 0..<4, using: &random) > 0 ? .event : .append)
            let times = query.timeAxis == .event ? events : all.map(\.timestamp)
            let a = times.randomElement(using: &random)!, b = times.randomElement(using: &random)!
            if Int.random(in: 0..<4, using: &random) > 0 { query.since = min(a, b) }
            if Int.random(in: 0..<4, using: &random) > 0 { query.until = max(a, b) + Int64.random(in: 0...1, using: &random) }
            if Int.random(in: 0..<3, using: &random) == 0 { query.partitions = ["p\(Int.random(in: 0..<partitions, using: &random))", "p3"] }
            if Int.random(in: 0..<3, using: &random) == 0 { query.kinds = [UInt8.random(in: 1...3, using: &random)] }
            if Int.random(in: 0..<4, using: &random) == 0 { query.fromSequence = UInt64.random(in: 0..<UInt64(all.count), using: &random) }
            if Int.random(in: 0..<4, using: &random) == 0 { query.throughSequence = UInt64.random(in: 0..<UInt64(all.count), using: &random) }
            #expect(low <= high)
            let got = try readAll(log, query)
            let expected = bruteForce(all, query)
            #expect(got == expected, "query \(query): \(got.count) records, brute force \(expected.count)")
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func eventQueriesMatchBruteForceOnLiveReopenedAndReadOnlyLogs(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try Self.writeRandomLog(at: path, seed: seed, batches: 400)
        let all = try readAll(log)
        #expect(all.count > 1000)
        #expect(log.segments().count > 3)
        #expect(all.contains { $0.eventTime == nil } && all.contains { $0.eventTime != nil })
        // The writer's own running indexes.
        try Self.checkQueries(log, all: all, seed: seed)
        // A read-only open beside the live writer scans the active segment.
        try Self.checkQueries(SegmentLog.openReadOnly(directory: path), all: all, seed: seed &+ 100)
        try log.close()
        // After a clean close: every segment through its index file.
        let reopened = try SegmentLog.openReadOnly(directory: path)
        #expect(try readAll(reopened) == all)
        try Self.checkQueries(reopened, all: all, seed: seed &+ 200)
        #expect(try SegmentLog.verify(directory: path).status == .clean)
    }

    @Test func manyPartitionsAndEventTimesTogether() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try Self.writeRandomLog(at: path, seed: 31, batches: 300, partitions: 400)
        let all = try readAll(log)
        try log.close()
        let reopened = try SegmentLog.openReadOnly(directory: path)
        #expect(Set(all.map(\.partition)).count > 300)
        try Self.checkQueries(reopened, all: all, seed: 32, count: 80, partitions: 400)
    }

    @Test func eventTimesSurviveTheRoundTripAndAreReportedPerSegment() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock(microseconds: 5_000_000)
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock))
        _ = try log.append([AppendRecord(kind: 1, partition: "a", payload: [1], eventTime: 1_000_000),
                            AppendRecord(kind: 1, partition: "a", payload: [2]),
                            AppendRecord(kind: 1, partition: "b", payload: [3], eventTime: 9_000_000)])
        let records = try readAll(log)
        #expect(records.map(\.eventTime) == [1_000_000, nil, 9_000_000])
        #expect(records.map(\.eventTimeOrAppendTime) == [1_000_000, 5_000_000, 9_000_000])
        let segment = try #require(log.segments().first)
        #expect(segment.eventTimeRange == 1_000_000...9_000_000)
        #expect(segment.eventLeadRange == -4_000_000...4_000_000)
        try log.close()
        let reopened = try SegmentLog.openReadOnly(directory: directory.child())
        #expect(reopened.segments().first?.eventTimeRange == 1_000_000...9_000_000)
        #expect(reopened.segments().first?.eventLeadRange == -4_000_000...4_000_000)
        #expect(try readAll(reopened, LogQuery(since: 4_000_000, until: 6_000_000, timeAxis: .event)).map(\.payload) == [[2]])
    }

    @Test func roughlyOrderedEventQueriesReadLittleMoreThanTheirWindow() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        // Jitter of a few seconds against a log that spans hours of events
        // (a record without an event time would widen its block's range to
        // its append time, here a long way off).
        let log = try Self.writeRandomLog(at: path, seed: 7, batches: 1500, jitter: 3_000_000, missingOneIn: 0, segmentMaxBytes: 64 * 1024)
        let all = try readAll(log)
        let events = all.map(\.eventTimeOrAppendTime).sorted()
        let since = events[events.count / 2], until = events[events.count / 2 + events.count / 50]
        let full = log.read(LogQuery(timeAxis: .event))
        while try full.next() != nil {}
        let window = log.read(LogQuery(since: since, until: until, timeAxis: .event))
        var found = 0
        while try window.next() != nil { found += 1 }
        #expect(found == Self.bruteForce(all, LogQuery(since: since, until: until, timeAxis: .event)).count)
        // A 2 % window touches well under a tenth of the log.
        #expect(window.statistics.bytesRead * 10 < full.statistics.bytesRead)
        try log.close()
    }

    @Test func indexFileRoundTripKeepsEveryBlocksEventRange() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try Self.writeRandomLog(at: path, seed: 11, batches: 200, segmentMaxBytes: 1 << 30)
        let index = try #require(log.state.withLock { $0.slots.last?.index })
        #expect(index.entries.count > 10)
        let bytes = IndexFile.encode(index)
        let decoded = try bytes.withUnsafeBytes { (buffer) throws(SegmentLogError) in try IndexFile.decode(buffer, path: "x.idx") }
        #expect(decoded == index)
        #expect(decoded.entries.allSatisfy { $0.minEventTime <= $0.maxEventTime })
        try log.close()
    }

    @Test func aBlockRangeOutsideTheSegmentsIsDamage() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try Self.writeRandomLog(at: path, seed: 12, batches: 50, segmentMaxBytes: 1 << 30)
        let index = try #require(log.state.withLock { $0.slots.last?.index })
        try log.close()
        var bytes = IndexFile.encode(index)
        // The first block's max event time: after the 144-byte fixed part,
        // the kind entries and the first entry's offset, sequence, timestamp and min.
        let at = IndexFile.fixedSize(version: 2) + 9 * index.kindCounts.count + 32
        bytes.replaceSubrange(at..<at + 8, with: withUnsafeBytes(of: Int64.max.littleEndian, Array.init))
        bytes.replaceSubrange(bytes.count - 4..<bytes.count, with: withUnsafeBytes(of: CRC32C.checksum(Array(bytes[..<(bytes.count - 4)])).littleEndian, Array.init))
        #expect(throws: SegmentLogError.corruption(path: "x.idx", offset: Int64(at - 8), reason: "")) {
            do {
                _ = try bytes.withUnsafeBytes { (buffer) throws(SegmentLogError) in try IndexFile.decode(buffer, path: "x.idx") }
            } catch let SegmentLogError.corruption(path, offset, _) {
                throw SegmentLogError.corruption(path: path, offset: offset, reason: "")
            }
        }
    }

    @Test func recordsWithUnknownFlagsAreRejected() throws {
        let encoder = BatchEncoder(limits: LogLimits())
        try [UInt8]("p".utf8).withUnsafeBytes { key in
            try [UInt8](repeating: 7, count: 40).withUnsafeBytes { body in
                try encoder.add(kind: 1, partition: key, payload: body, eventTime: 42)
            }
        }
        encoder.compress()
        var batch = Array(encoder.frame(firstSequence: 0, timestamp: 10))
        let scratch = GrowableBuffer()
        let header = try #require(batch.withUnsafeBytes { BatchHeader.decode($0) })
        let good = batch.withUnsafeBytes { bytes -> Int64? in
            guard case .success(let raw) = BatchDecoder.records(of: bytes, header: header, scratch: scratch) else { return nil }
            var event: Int64?
            BatchDecoder.forEachRecord(in: raw, header: header) { event = $0.eventTime }
            return event
        }
        #expect(good == 42)
        // A raw-stored copy with flag bit 1 set fails decoding with a reason.
        let raw = BatchEncoder(limits: LogLimits())
        try [UInt8]("p".utf8).withUnsafeBytes { key in
            try [UInt8](repeating: 7, count: 4).withUnsafeBytes { body in try raw.add(kind: 1, partition: key, payload: body) }
        }
        raw.compress()
        batch = Array(raw.frame(firstSequence: 0, timestamp: 10))
        #expect(batch[28] == SegmentFormat.codecNone)
        batch[48 + 1] = 2
        let forged = try #require(batch.withUnsafeBytes { BatchHeader.decode($0) })
        let reason = batch.withUnsafeBytes { bytes -> String? in
            guard case .failure(let failure) = BatchDecoder.records(of: bytes, header: forged, scratch: scratch) else { return nil }
            return failure.reason
        }
        #expect(reason == "record 0 has unknown flags 0x2")
    }
}
