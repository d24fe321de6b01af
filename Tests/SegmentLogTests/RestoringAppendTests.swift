import Foundation
import Testing
@testable import SegmentLog

/// `append(_:restoringSequence:timestamp:)`: batches keep the sequences and
/// append times they had in the log they were copied from.
@Suite struct RestoringAppendTests {
    private func directory() -> String {
        let path = FileManager.default.temporaryDirectory.path + "/restoring-append-\(UUID().uuidString)"
        return path
    }

    private func draft(_ log: SegmentLog, _ payloads: [String], partition: String = "p") throws -> BatchDraft {
        let draft = log.makeDraft()
        for payload in payloads { try draft.add(kind: 3, partition: partition, payload: Array(payload.utf8)) }
        return draft
    }

    @Test func keepsSequencesAndTimesAndSurvivesReopen() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = LogOptions()
        options.clock = ManualClock(microseconds: 9_000_000_000_000_000)  // far later than the restored times
        let log = try SegmentLog.open(directory: path, options: options)
        let first = try log.append(try draft(log, ["a", "b"]), restoringSequence: 500, timestamp: 1_000)
        #expect(first == AppendResult(firstSequence: 500, lastSequence: 501, timestamp: 1_000))
        try log.append(try draft(log, ["c"], partition: "q"), restoringSequence: 502, timestamp: 1_000)
        try log.append(try draft(log, ["d"]), restoringSequence: 503, timestamp: 2_500)
        #expect(log.firstSequence == 500)
        #expect(log.nextSequence == 504)
        try log.close()

        let reopened = try SegmentLog.openReadOnly(directory: path)
        #expect(reopened.recoveryReport.damage.isEmpty)
        let reader = reopened.read()
        var records: [LogRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(records == [
            LogRecord(sequence: 500, timestamp: 1_000, kind: 3, partition: "p", payload: Array("a".utf8)),
            LogRecord(sequence: 501, timestamp: 1_000, kind: 3, partition: "p", payload: Array("b".utf8)),
            LogRecord(sequence: 502, timestamp: 1_000, kind: 3, partition: "q", payload: Array("c".utf8)),
            LogRecord(sequence: 503, timestamp: 2_500, kind: 3, partition: "p", payload: Array("d".utf8)),
        ])
        // Ordinary appends go on after them.
        let writer = try SegmentLog.open(directory: path)
        #expect(try writer.append(kind: 1, partition: "", payload: []).firstSequence == 504)
        try writer.close()
    }

    @Test func refusesGapsAndEarlierTimes() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try SegmentLog.open(directory: path)
        try log.append(try draft(log, ["a"]), restoringSequence: 0, timestamp: 5_000)
        #expect(throws: SegmentLogError.self) { try log.append(try draft(log, ["gap"]), restoringSequence: 2, timestamp: 6_000) }
        #expect(throws: SegmentLogError.self) { try log.append(try draft(log, ["earlier"]), restoringSequence: 1, timestamp: 4_999) }
        #expect(log.nextSequence == 1)
        try log.close()
    }
}
