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
