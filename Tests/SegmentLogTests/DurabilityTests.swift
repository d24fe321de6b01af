import Foundation
import Synchronization
import Testing
@testable import SegmentLog

@Suite struct DurabilityTests {
    @Test func alwaysReturnsOnlyAfterTheRecordIsDurableAndSharesFsyncs() async throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options { $0.durability = .always })
        let appenders = 8, each = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<appenders {
                group.addTask {
                    for i in 0..<each {
                        let result = try log.append(kind: 1, partition: "a\(a)", payload: payload(a * 1000 + i, size: 64))
                        #expect(log.durableSequenceBound > result.lastSequence)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(log.nextSequence == UInt64(appenders * each))
        #expect(log.durableSequenceBound == UInt64(appenders * each))
        try log.close()
    }

    @Test func intervalDurabilityCatchesUpWithoutBeingAsked() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options { $0.durability = .interval(milliseconds: 5) })
        let result = try log.append(kind: 1, partition: "p", payload: [1, 2, 3])
        // Waits for the flusher (it does not sync by itself under this policy).
        try log.waitUntilDurable(through: result.lastSequence)
        #expect(log.durableSequenceBound > result.lastSequence)
        try log.close()
    }

    @Test func appendsAfterCloseAreRefused() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        try log.close()
        #expect(throws: SegmentLogError.closed(path: directory.child())) {
            try log.append(kind: 1, partition: "", payload: [])
        }
    }

    @Test func oversizedRecordsAreRefusedAndTheLogStaysUsable() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options { $0.limits.maxRecordBytes = 1000 })
        #expect(throws: SegmentLogError.limitExceeded(what: "record payload", value: 1001, limit: 1000)) {
            try log.append(kind: 1, partition: "p", payload: [UInt8](repeating: 1, count: 1001))
        }
        #expect(throws: SegmentLogError.self) { try log.append([]) }
        #expect(try log.append(kind: 1, partition: "p", payload: [1]).firstSequence == 0)
        try log.close()
    }
}
