import Testing
@testable import SignalLog

@Suite("Signal model and codecs")
struct CodecTests {
    @Test func defaultsFollowTheOriginal() {
        let signal = Signal(content: .text("hi"), type: "alert", sourceID: "sensor")
        #expect(signal.partitionKey == "sensor_alert")
        #expect(signal.schemaVersion == "1.0")
        #expect(signal.retryCount == 0)
        let key = signal.idempotencyKey
        #expect(key.hasPrefix("sensor_alert_"))
        let hex = key.dropFirst("sensor_alert_".count)
        #expect(hex.count == 8 && hex.allSatisfy(\.isHexDigit))
        #expect(signal.correlationID.count == 36)
        #expect(signal.id != signal.correlationID)
    }

    @Test func jsonRoundTripKeepsEveryFieldAndUnknownOnes() throws {
        let line = #"{"content":{"a":[1,2.5,"x",null,true]},"signal_type":"t","urgency":0.25,"source_id":"s","requires_response":true,"idempotency_key":"k","partition_key":"p","correlation_id":"c","schema_version":"1.1","retry_count":2,"timestamp":"2024-05-01T12:30:00.123456Z","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","new_field":{"z":1}}"#
        let signal = try SignalJSON.decode(line: line)
        #expect(signal.content == .json(.object(["a": .array([.number(1), .number(2.5), .string("x"), .null, .bool(true)])])))
        #expect(signal.urgency == 0.25 && signal.requiresResponse && signal.retryCount == 2)
        #expect(signal.idempotencyKey == "k" && signal.partitionKey == "p" && signal.correlationID == "c" && signal.schemaVersion == "1.1")
        #expect(signal.createdAt == RFC3339.parse("2024-05-01T12:30:00.123456Z"))
        #expect(signal.extraFields == ["new_field": .object(["z": .number(1)])])
        let again = try SignalJSON.decode(line: SignalJSON.encode(signal))
        #expect(again == signal)
    }

    @Test func epochMillisecondsTimestamp() throws {
        let signal = try SignalJSON.decode(line: #"{"content":"x","signal_type":"t","urgency":1,"source_id":"s","timestamp":1714566600123}"#)
        #expect(signal.createdAt == 1_714_566_600_123_000)
        #expect(RFC3339.format(microseconds: signal.createdAt) == "2024-05-01T12:30:00.123000Z")
    }

    @Test(arguments: [
        (#"{"signal_type":"t","urgency":0.5,"source_id":"s"}"#, SignalJSONError.missingField("content")),
        (#"{"content":"x","urgency":0.5,"source_id":"s"}"#, .missingField("signal_type")),
        (#"{"content":"x","signal_type":"t","source_id":"s"}"#, .missingField("urgency")),
        (#"{"content":"x","signal_type":"t","urgency":0.5}"#, .missingField("source_id")),
        (#"{"content":"x","signal_type":"t","urgency":"high","source_id":"s"}"#, .wrongType(field: "urgency", expected: "a number from 0.0 to 1.0", found: "string")),
        (#"{"content":"x","signal_type":"t","urgency":1.5,"source_id":"s"}"#, .invalidValue(field: "urgency", reason: "must be between 0.0 and 1.0, got 1.5")),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","retry_count":-1}"#, .invalidValue(field: "retry_count", reason: "must be a non-negative integer, got -1.0")),
        (#"{"content":"x","signal_type":7,"urgency":0.5,"source_id":"s"}"#, .wrongType(field: "signal_type", expected: "a string", found: "number")),
        (#"[1]"#, .notAnObject(found: "array")),
    ])
    func decodeErrorsNameTheField(line: String, expected: SignalJSONError) {
        #expect(throws: expected) { try SignalJSON.decode(line: line) }
    }

    @Test func syntaxErrorsGiveTheOffset() {
        do {
            _ = try SignalJSON.decode(line: #"{"content": tru}"#)
            Issue.record("no error")
        } catch {
            guard case .syntax(let offset, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(offset == 12)
        }
    }

    @Test func badTimestampAndTraceparentAreNamed() {
        #expect(throws: SignalJSONError.self) { try SignalJSON.decode(line: #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","timestamp":"yesterday"}"#) }
        do {
            _ = try SignalJSON.decode(line: #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","traceparent":"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}"#)
            Issue.record("accepted an all-zero trace id")
        } catch {
            #expect(error.field == "traceparent")
        }
    }

    @Test func traceparentValidation() {
        #expect(TraceParent.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(!TraceParent.isValid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"))
        #expect(!TraceParent.isValid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(!TraceParent.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"))
        #expect(!TraceParent.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))
        #expect(TraceParent.isValid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))
        #expect(!TraceParent.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"))
    }

    @Test func rfc3339() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parse("1970-01-01T01:00:00+01:00") == 0)
        #expect(RFC3339.parse("2000-02-29T23:59:59.5Z") == 951_868_799_500_000)
        #expect(RFC3339.parse("2001-02-29T00:00:00Z") == nil)
        #expect(RFC3339.format(microseconds: 951_868_799_500_000) == "2000-02-29T23:59:59.500000Z")
        #expect(RFC3339.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
    }

    @Test func cloudEventsRoundTrip() throws {
        let signal = Signal(content: .json(.object(["k": .string("v")])), type: "order", urgency: 0.75, sourceID: "shop",
                            requiresResponse: true, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                            extraFields: ["region": .string("eu")])
        let event = CloudEvent(signal: signal)
        #expect(event.subject == signal.partitionKey)
        let line = event.encode()
        let decoded = try CloudEvent.decode(line: line)
        #expect(decoded == event)
        #expect(try decoded.signal() == signal)
        #expect(try SignalJSON.decodeAny(line: line) == signal)
        let text = Signal(content: .text("plain"), type: "t", sourceID: "s")
        #expect(try CloudEvent.decode(line: CloudEvent(signal: text).encode()).signal() == text)
    }

    @Test func cloudEventErrors() {
        #expect(throws: SignalJSONError.missingField("source")) { try CloudEvent.decode(line: #"{"specversion":"1.0","id":"1","type":"t"}"#) }
        #expect(throws: SignalJSONError.self) { try CloudEvent.decode(line: #"{"specversion":"0.3","id":"1","type":"t","source":"s"}"#) }
    }

    @Test func recordPayloadsRoundTrip() throws {
        var signal = Signal(content: .json(.array([.number(1), .object(["a": .null])])), type: "t", urgency: 0.1, sourceID: "s",
                            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", extraFields: ["x": .bool(true)])
        signal.retryCount = 3
        let record = SignalRecord(signal: signal, carriedFrom: 42)
        #expect(try SignalRecord.decode(record.encode()) == record)
        let plain = SignalRecord(signal: Signal("text", type: "t", sourceID: "s"))
        #expect(try SignalRecord.decode(plain.encode()) == plain)

        for outcome in [AttemptOutcome.processed, .failed("boom"), .duplicate(of: "a"), .conflict(with: "b"), .rejected("circuit_open")] {
            let attempt = AttemptRecord(ProcessingAttempt(signalID: "id", nodeID: "n", startedAt: 5, duration: 7, outcome: outcome, correlationID: "c", attempt: 2))
            #expect(try AttemptRecord.decode(attempt.encode()) == attempt)
        }
        let move = DeadLetterMoveRecord(signalID: "id", reason: .processingFailed, error: "bad", nodeID: "n", correlationID: "c", time: 9, retryCount: 1, signalSequence: 77)
        #expect(try DeadLetterMoveRecord.decode(move.encode()) == move)
        let resolve = DeadLetterResolveRecord(signalID: "id", resolution: .discarded, nodeID: "n", correlationID: "c", time: 10)
        #expect(try DeadLetterResolveRecord.decode(resolve.encode()) == resolve)
        var totals = SignalTotals()
        totals.received = 10; totals.discarded = 2
        let marker = MarkerRecord(type: .cleanShutdown, time: 1, nodeID: "n", lowWaterSequence: 99, totals: totals,
                                  deadLetters: [.init(signalID: "d", signalSequence: 3, reason: .unknownSignalType, time: 4, retryCount: 0, nodeID: "n", error: "e")])
        #expect(try MarkerRecord.decode(marker.encode()) == marker)
        #expect(try DecodedSignalRecord.decode(kind: 5, payload: marker.encode()) == .marker(marker))
    }

    @Test func truncatedAndHostilePayloadsFailCleanly() {
        let bytes = SignalRecord(signal: Signal("text", type: "t", sourceID: "s")).encode()
        for length in 0..<bytes.count - 1 {
            #expect(throws: SignalRecordError.self) { try SignalRecord.decode(Array(bytes[0..<length])) }
        }
        var hostile = bytes
        hostile[0] = 9
        #expect(throws: SignalRecordError.unsupportedVersion(kind: 1, version: 9)) { try SignalRecord.decode(hostile) }
        // A length field of 2^63 must not allocate.
        let huge: [UInt8] = [1, 0] + Array(repeating: 0, count: 16) + [0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: SignalRecordError.self) { try SignalRecord.decode(huge) }
        #expect(throws: SignalRecordError.unknownKind(9)) { try DecodedSignalRecord.decode(kind: 9, payload: []) }
    }
}

