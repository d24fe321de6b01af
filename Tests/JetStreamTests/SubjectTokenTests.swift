import Testing
import SegmentLog
import SignalLogJetStream

/// Subject-safe tokens and the names a mirror gives a log's records.
@Suite struct SubjectTokenTests {
    @Test func escapesWhatSubjectsCannotHoldAndRoundTrips() {
        #expect(SubjectToken.escape("user_123-a") == "user_123-a")
        #expect(SubjectToken.escape("a.b*c>d e~") == "a~2Eb~2Ac~3Ed~20e~7E")
        #expect(SubjectToken.escape("") == "~")
        #expect(SubjectToken.escape("é") == "~C3~A9")
        for text in ["", "a.b", "~", "~~41", "ünï cödé.*>", "\u{0}\n\r", String(repeating: "x.", count: 300)] {
            #expect(SubjectToken.unescape(SubjectToken.escape(text)) == text)
            let token = SubjectToken.token(text)
            #expect(!token.isEmpty && token.utf8.count <= SubjectToken.maxLength)
            #expect(!token.contains(".") && !token.contains("*") && !token.contains(">") && !token.contains(" "))
        }
        #expect(SubjectToken.unescape("~4") == nil)
        #expect(SubjectToken.unescape("~ZZ") == nil)
    }

    @Test func longKeysGetADistinctHashedToken() {
        let a = String(repeating: "a", count: 300), b = String(repeating: "a", count: 299) + "b"
        #expect(SubjectToken.token(a).hasPrefix("~~"))
        #expect(SubjectToken.token(a).count == 18)
        #expect(SubjectToken.token(a) != SubjectToken.token(b))
    }

    @Test func recordHeadersRoundTrip() {
        let subjects = LogSubjects(prefix: "signallog", logID: "node.a")
        let record = LogRecord(sequence: 42, timestamp: -7, kind: 200, partition: "p.q r", payload: [1, 2, 3])
        #expect(subjects.subject(kind: 200, partition: "p.q r") == "signallog.node~2Ea.200.p~2Eq~20r")
        #expect(subjects.messageID(42) == "node~2Ea:42")
        #expect(subjects.all == "signallog.node~2Ea.>")
        #expect(subjects.record(from: subjects.headers(for: record), payload: [1, 2, 3]) == record)
        #expect(LogSubjects.matches(pattern: "signallog.>", subject: subjects.subject(kind: 1, partition: "")))
        #expect(!LogSubjects.matches(pattern: "other.>", subject: "signallog.x.1.p"))
        #expect(LogSubjects.matches(pattern: "a.*.c", subject: "a.b.c"))
        #expect(!LogSubjects.matches(pattern: "a.*", subject: "a.b.c"))
    }
}
