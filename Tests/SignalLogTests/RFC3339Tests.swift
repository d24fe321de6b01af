import Testing
@testable import SignalLog

/// RFC 3339 parsing and printing, shared by signals' JSON and the
/// command-line tool's `--since`/`--until` and output.
/// 2024-05-01T12:00:00Z, in microseconds.
private let noon: Int64 = 1_714_564_800_000_000

@Suite struct RFC3339Tests {
    @Test(arguments: [
        // text, strict value (nil: refused), ISO 8601 value (nil: refused)
        ("2024-05-01T12:00:00Z", noon, noon),
        ("2024-05-01t12:00:00z", noon, noon),
        ("2024-05-01 12:00:00Z", noon, noon),
        ("2024-05-01T14:00:00+02:00", noon, noon),
        ("2024-05-01T09:30:00-02:30", noon, noon),
        ("2024-05-01T12:00:00.25Z", noon + 250_000, noon + 250_000),
        ("2024-05-01T12:00:00.1234567Z", noon + 123_456, noon + 123_456),
        ("2024-05-01T12:00:00,25Z", nil, noon + 250_000),
        ("2024-05-01T12:00:00", nil, noon),
        ("2024-05-01T12:00Z", nil, noon),
        ("2024-05-01T12:00", nil, noon),
        ("2024-05-01", nil, noon - 12 * 3_600_000_000),
        ("2024-05-01T14:00:00+02", nil, noon),
        ("2024-05-01T14:00:00+0200", nil, noon),
        ("2024-05-01T12:00:60Z", noon + 59_000_000, noon + 59_000_000),
    ] as [(String, Int64?, Int64?)])
    func acceptedForms(text: String, strict: Int64?, iso8601: Int64?) {
        #expect(RFC3339.parse(text) == strict, "strict: \(text)")
        #expect(RFC3339.parse(text, form: .strict) == strict, "strict: \(text)")
        #expect(RFC3339.parse(text, form: .iso8601) == iso8601, "ISO 8601: \(text)")
    }

    @Test(arguments: [
        "", "2024", "2024-05", "2024-13-01", "2024-00-10", "2023-02-29", "2024-04-31", "2024-05-01T",
        "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:61Z", "2024-05-01T12:00:00.Z",
        "2024-05-01T12:00:00+02:", "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+02:60", "2024-05-01T12:00:00ZZ",
        "2024-05-01T12:00:00 Z", "2024-05-01X12:00:00Z", "２０２４-05-01", "2024-05-01T12:0:00Z",
    ])
    func refusedEverywhere(text: String) {
        #expect(RFC3339.parse(text, form: .strict) == nil, "strict: \(text)")
        #expect(RFC3339.parse(text, form: .iso8601) == nil, "ISO 8601: \(text)")
    }

    @Test func noonIsWhatTheTableAssumes() {
        #expect(RFC3339.parse("2024-05-01T12:00:00Z") == noon)
    }

    @Test func leapDaysFollowTheGregorianRules() {
        #expect(RFC3339.parse("2000-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parse("1900-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("2100-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("2024-02-29", form: .iso8601) != nil)
    }

    @Test func printsFractionDigitsAsAsked() {
        let time = noonPlus(123_456)
        func text(_ digits: Int) -> String {
            var out: [UInt8] = []
            RFC3339.append(microseconds: time, fractionDigits: digits, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(0) == "2024-05-01T12:00:00Z")
        #expect(text(3) == "2024-05-01T12:00:00.123Z")
        #expect(text(6) == "2024-05-01T12:00:00.123456Z")
        #expect(RFC3339.format(microseconds: time) == "2024-05-01T12:00:00.123456Z")
        #expect(RFC3339.format(microseconds: noon) == "2024-05-01T12:00:00Z")
    }

    @Test func printsTimesBeforeTheEpochAndFarAhead() {
        #expect(RFC3339.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(RFC3339.format(microseconds: -86_400_000_000) == "1969-12-31T00:00:00Z")
        let farAhead = RFC3339.parse("9999-12-31T23:59:59Z")! + 1_000_000
        #expect(RFC3339.format(microseconds: farAhead) == "10000-01-01T00:00:00Z")
    }

    /// Every printed time reads back to itself, in both forms; printing with
    /// fewer digits truncates towards the past.
    @Test func printedTimesReadBack() {
        var generator = SystemRandomNumberGenerator()
        let span: ClosedRange<Int64> = RFC3339.parse("1600-01-01T00:00:00Z")!...RFC3339.parse("2400-12-31T23:59:59.999999Z")!
        for _ in 0..<20_000 {
            let time = Int64.random(in: span, using: &generator)
            let text = RFC3339.format(microseconds: time)
            #expect(RFC3339.parse(text) == time, "\(text)")
            #expect(RFC3339.parse(text, form: .iso8601) == time, "\(text)")
            var millis: [UInt8] = []
            RFC3339.append(microseconds: time, fractionDigits: 3, to: &millis)
            let parsed = RFC3339.parse(String(decoding: millis, as: UTF8.self))
            #expect(parsed == time - ((time % 1000) + 1000) % 1000)
        }
    }

    private func noonPlus(_ micros: Int64) -> Int64 { noon + micros }
}
