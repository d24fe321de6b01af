import SignalLog

/// Names of the record kinds the processing layer writes (docs/signals.md, "Records"),
/// plus kind 0, the placeholder `repair` writes for records lost to damage.
enum RecordKinds {
    static let lost: UInt8 = 0
    static let signal = SignalRecordKind.signal.rawValue
    static let attempt = SignalRecordKind.attempt.rawValue
    static let dlqMove = SignalRecordKind.deadLetterMove.rawValue
    static let dlqResolve = SignalRecordKind.deadLetterResolve.rawValue
    static let marker = SignalRecordKind.marker.rawValue

    /// Every kind with its name: the processing layer's own, and `lost`.
    static let names: [(UInt8, String)] = [(lost, "lost")] + SignalRecordKind.allCases.map { ($0.rawValue, $0.description) }

    static func name(_ kind: UInt8) -> String {
        names.first(where: { $0.0 == kind })?.1 ?? "kind-\(kind)"
    }

    /// Accepts a name (`signal`, `dlq-move`, …) or a number.
    static func parse(_ text: String) -> UInt8? {
        let lowered = text.lowercased()
        if let named = names.first(where: { $0.1 == lowered || $0.1.replacingDash() == lowered }) { return named.0 }
        if lowered.hasPrefix("kind-") { return UInt8(lowered.dropFirst(5)) }
        return UInt8(lowered)
    }
}

extension String {
    func replacingDash() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
