import Testing
@testable import SegmentLog

@Suite struct RoundTripTests {
    @Test(arguments: [0, 1, 12, 300, 4096, 65_537, 1 << 20, 5 << 20])
    func recordOfEverySizeRoundTrips(size: Int) throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        let bytes = payload(size, size: size)
        let result = try log.append(kind: 3, partition: "p-\(size)", payload: bytes)
        #expect(result.firstSequence == 0 && result.lastSequence == 0)
        try log.close()

        let reopened = try SegmentLog.open(directory: directory.child())
        let records = try readAll(reopened)
        #expect(records.count == 1)
        #expect(records.first?.payload == bytes)
        #expect(records.first?.partition == "p-\(size)")
        #expect(records.first?.kind == 3)
        try reopened.close()
    }

    @Test func sequencesAreGapFreeAndTimestampsNeverDecrease() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock))
        var expected: UInt64 = 0
        for round in 0..<50 {
            let count = round % 7 + 1
            let batch = (0..<count).map { AppendRecord(kind: UInt8($0), partition: "k\($0 % 3)", payload: payload(round * 10 + $0, size: 100)) }
            // The clock steps backwards every third round; append time must not.
            clock.advance(byMicroseconds: round % 3 == 2 ? -5_000 : 1_000)
            let result = try log.append(batch)
            #expect(result.firstSequence == expected)
            #expect(result.lastSequence == expected + UInt64(count) - 1)
            expected += UInt64(count)
        }
        let records = try readAll(log)
        #expect(records.map(\.sequence) == Array(0..<expected))
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        #expect(log.nextSequence == expected)
        try log.close()
    }
}

@Suite struct CompressionAccelerationTests {
    /// Text-like records, so the batches really compress.
    static func records(_ count: Int) -> [AppendRecord] {
        (0..<count).map { i in
            let text = "{\"sensor\":\"s-\(i % 17)\",\"reading\":\(i),\"unit\":\"C\",\"note\":\"a reading like the one before it\"}"
            return AppendRecord(kind: 1, partition: "p\(i % 5)", payload: Array(text.utf8))
        }
    }

    /// Any acceleration (out-of-range ones clamped) writes ordinary LZ4
    /// blocks that a log opened with another acceleration reads back.
    @Test(arguments: [Int.min, 0, 1, 4, 64, 65_537, Int.max])
    func everyAccelerationWritesBlocksAnyOpenReads(acceleration: Int) throws {
        let directory = TemporaryDirectory()
        var writing = LogOptions()
        writing.compressionAcceleration = acceleration
        let log = try SegmentLog.open(directory: directory.child(), options: writing)
        let written = Self.records(400)
        for start in stride(from: 0, to: written.count, by: 100) {
            try log.append(written[start..<start + 100])
        }
        let rawBytes = written.reduce(0) { $0 + $1.payload.count }
        let stored = log.segments().reduce(0) { $0 + Int($1.fileBytes) }
        if acceleration <= 64 {
            // (At the top of the range LZ4 barely looks for matches.)
            #expect(stored < rawBytes, "the batches were compressed (\(stored) of \(rawBytes) bytes)")
        }
        try log.close()

        var reading = LogOptions()
        reading.compressionAcceleration = acceleration == 1 ? 4 : 1
        let reopened = try SegmentLog.open(directory: directory.child(), options: reading)
        let records = try readAll(reopened)
        #expect(records.map(\.payload) == written.map(\.payload))
        #expect(records.map(\.partition) == written.map(\.partition))
        try reopened.append(Self.records(10))
        #expect(try readAll(reopened).count == 410)
        try reopened.close()
    }
}
