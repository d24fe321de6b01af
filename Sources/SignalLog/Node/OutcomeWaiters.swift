/// Callers waiting for signal outcomes or for the node to go idle, and the
/// outcomes of the most recently finished signals (so a caller that asks
/// just after its signal finished still gets the answer).
///
/// Memory is bounded: ``remembered`` outcomes at most, plus one entry per
/// waiting caller.
struct OutcomeWaiters {
    typealias OutcomeContinuation = CheckedContinuation<SignalOutcome, any Error>
    typealias IdleContinuation = CheckedContinuation<Void, any Error>

    /// How many finished signals' outcomes are kept.
    let remembered: Int
    /// The most recently finished signals' outcomes, a ring (newest at
    /// `next - 1`); searched only when a caller asks, so finishing a signal
    /// costs one slot write.
    private var recent: [(signalID: String, outcome: SignalOutcome)] = []
    private var next = 0
    private var nextToken = 0
    private var bySignal: [String: [Int: OutcomeContinuation]] = [:]
    private var idle: [Int: IdleContinuation] = [:]
    var closed = false

    init(remembered: Int) { self.remembered = max(1, remembered) }

    /// Whether anyone waits for a signal's outcome (finished signals are
    /// remembered either way).
    var isEmpty: Bool { bySignal.isEmpty }

    mutating func token() -> Int {
        defer { nextToken += 1 }
        return nextToken
    }

    /// The newest remembered outcome of `signalID`.
    func outcome(of signalID: String) -> SignalOutcome? {
        for offset in 1...max(1, recent.count) where offset <= recent.count {
            let entry = recent[(next - offset + recent.count) % recent.count]
            if entry.signalID == signalID { return entry.outcome }
        }
        return nil
    }

    mutating func wait(for signalID: String, token: Int, _ continuation: OutcomeContinuation) {
        bySignal[signalID, default: [:]][token] = continuation
    }

    mutating func cancel(signalID: String, token: Int) -> OutcomeContinuation? {
        let continuation = bySignal[signalID]?.removeValue(forKey: token)
        if bySignal[signalID]?.isEmpty == true { bySignal.removeValue(forKey: signalID) }
        return continuation
    }

    mutating func waitIdle(token: Int, _ continuation: IdleContinuation) { idle[token] = continuation }

    mutating func cancelIdle(token: Int) -> IdleContinuation? { idle.removeValue(forKey: token) }

    /// Records a finished signal's outcome and returns the callers waiting for it.
    mutating func finish(_ signalID: String, _ outcome: SignalOutcome) -> [OutcomeContinuation] {
        if recent.count < remembered {
            recent.append((signalID, outcome))
            next = recent.count % remembered
        } else {
            recent[next] = (signalID, outcome)
            next = (next + 1) % remembered
        }
        guard !bySignal.isEmpty, let waiting = bySignal.removeValue(forKey: signalID) else { return [] }
        return Array(waiting.values)
    }

    /// The callers waiting for the node to go idle.
    mutating func takeIdle() -> [IdleContinuation] {
        defer { idle = [:] }
        return Array(idle.values)
    }

    /// Every waiting caller, at close.
    mutating func takeAll() -> (outcomes: [OutcomeContinuation], idle: [IdleContinuation]) {
        closed = true
        defer { bySignal = [:]; idle = [:] }
        return (bySignal.values.flatMap(\.values), Array(idle.values))
    }
}
