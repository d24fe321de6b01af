import Dispatch
import Testing
@testable import SignalLog

/// `Signal` shares its storage between copies; it must still behave as a
/// plain value.
@Suite struct SignalValueTests {
    /// Each field changed on a copy leaves the original as it was.
    @Test func changingACopyNeverChangesTheOriginal() {
        let original = Signal(content: .text("body"), type: "t", urgency: 0.25, sourceID: "s", requiresResponse: false, id: "id-1",
                              idempotencyKey: "k", partitionKey: "p", correlationID: "c", schemaVersion: "1.0", retryCount: 0,
                              createdAt: 7, traceparent: nil, extraFields: ["x": .number(1)])
        let changes: [(String, (inout Signal) -> Void)] = [
            ("id", { $0.id = "id-2" }),
            ("content", { $0.content = .text("other") }),
            ("type", { $0.type = "u" }),
            ("urgency", { $0.urgency = 1 }),
            ("sourceID", { $0.sourceID = "r" }),
            ("requiresResponse", { $0.requiresResponse = true }),
            ("idempotencyKey", { $0.idempotencyKey = "k2" }),
            ("partitionKey", { $0.partitionKey = "q" }),
            ("correlationID", { $0.correlationID = "d" }),
            ("schemaVersion", { $0.schemaVersion = "1.1" }),
            ("retryCount", { $0.retryCount = 3 }),
            ("createdAt", { $0.createdAt = 8 }),
            ("traceparent", { $0.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
            ("extraFields", { $0.extraFields = [:] }),
        ]
        for (field, change) in changes {
            var copy = original
            change(&copy)
            #expect(copy != original, "changing \(field) makes a different signal")
            #expect(original.id == "id-1" && original.content == .text("body") && original.type == "t" && original.urgency == 0.25
                        && original.sourceID == "s" && !original.requiresResponse && original.idempotencyKey == "k"
                        && original.partitionKey == "p" && original.correlationID == "c" && original.schemaVersion == "1.0"
                        && original.retryCount == 0 && original.createdAt == 7 && original.traceparent == nil
                        && original.extraFields == ["x": .number(1)], "changing \(field) on a copy left the original alone")
        }
    }

    @Test func equalityComparesValuesAndIgnoresTheAttemptHistory() {
        let a = makeSignal("same")
        var b = a
        #expect(a == b)
        b.processingAttempts = [ProcessingAttempt(signalID: a.id, nodeID: "n", startedAt: 0, duration: 0, outcome: .processed, correlationID: a.correlationID)]
        #expect(a == b, "history is not identity")
        #expect(a.processingAttempts.isEmpty)
        var c = a
        c.schemaVersion = "1.1"
        #expect(a != c, "the inline fields count even while the rest is shared")
        c.schemaVersion = "1.0"
        #expect(a == c)
        var d = a
        d.content = .text("same")
        #expect(a == d, "equal values in separate storage are equal")
    }

    @Test func copiesSentToOtherTasksStayIndependent() async {
        let original = makeSignal("shared")
        let changed = await withTaskGroup(of: Signal.self) { group -> [Signal] in
            for index in 0..<16 {
                group.addTask {
                    var copy = original
                    copy.retryCount = index
                    copy.content = .text("task \(index)")
                    return copy
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(changed.map(\.retryCount)) == Set(0..<16))
        #expect(changed.allSatisfy { $0.content == .text("task \($0.retryCount)") })
        #expect(original.content == .text("shared") && original.retryCount == 0)
    }
}
