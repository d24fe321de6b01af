/// Source ids given as JSON numbers. The original system's nodes are
/// numbered and send `"source_id": 42`; SignalLog keeps source ids as text,
/// so an integer is accepted and kept as its decimal text (`"42"`), in the
/// signal form's `source_id` and in a CloudEvent's `source`, by both the
/// line decoder and the reference decoder (docs/signals.md).
enum NumericSourceID {
    /// Integers up to this magnitude (2^53) are exact as JSON numbers read
    /// into a `Double`; larger ones may already have lost digits, so they
    /// are refused rather than kept as some other number's text.
    static let limit: Double = 9_007_199_254_740_992

    /// The decimal text of an integral number within ±2^53 (`42`, `42.0`
    /// and `4.2e1` all give `"42"`), or nil.
    static func text(_ number: Double) -> String? {
        guard number.isFinite, number == number.rounded(), abs(number) <= limit else { return nil }
        return String(Int64(number))
    }

    /// Why `number` is refused as a source id.
    static func refusal(_ number: Double) -> String {
        "a numeric source id must be an integer within ±2^53 (kept as its decimal text), got \(number)"
    }
}
