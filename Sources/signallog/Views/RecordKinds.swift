/// Names of the record kinds the processing layer writes (design.md, "Records"),
/// plus kind 0, the placeholder `repair` writes for records lost to damage.
enum RecordKinds {
    static let lost: UInt8 = 0
    static let signal: UInt8 = 1
    static let attempt: UInt8 = 2
    static let dlqMove: UInt8 = 3
    static let dlqResolve: UInt8 = 4
    static let marker: UInt8 = 5

    static let names: [(UInt8, String)] = [
        (lost, "lost"), (signal, "signal"), (attempt, "attempt"),
        (dlqMove, "dlq-move"), (dlqResolve, "dlq-resolve"), (marker, "marker"),
    ]

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
