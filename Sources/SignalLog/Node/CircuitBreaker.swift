import SegmentLog
import Synchronization

/// The breaker's state.
public enum CircuitState: String, Sendable, Equatable {
    /// Signals flow; consecutive failures are counted.
    case closed
    /// Signals are rejected until the open timeout has passed.
    case open
    /// A limited number of probe signals are admitted; the first probe
    /// outcome closes or reopens the breaker.
    case halfOpen = "half_open"

    /// 0 closed, 1 open, 2 half-open (the gauge value).
    public var gaugeValue: Int { self == .closed ? 0 : self == .open ? 1 : 2 }
}

/// Circuit-breaker settings. Defaults follow the original specification.
public struct CircuitBreakerConfiguration: Sendable, Equatable {
    /// Consecutive failed processing attempts that open the breaker.
    public var failureThreshold: Int = 5
    /// How long the breaker stays open before admitting probes.
    public var openTimeout: Duration = .seconds(30)
    /// How many signals half-open admits as probes.
    public var halfOpenProbes: Int = 1
    /// A probe without an outcome after this long counts as failed, so a hung
    /// probe cannot wedge the breaker half-open. Nil means ``openTimeout``.
    public var probeTimeout: Duration? = nil
    /// Which failed processing outcomes count toward ``failureThreshold``
    /// (a record list; the causes left out are ignored: they neither count
    /// nor reset the count, and free a probe's slot). The default counts
    /// every cause, as the original system counts every failed processing
    /// outcome; leave out ``FailureCause/unknownSignalType`` and the schema
    /// causes to open the breaker only on handler failures. Signals the
    /// breaker itself rejects are never processing outcomes and never count.
    public var countedFailures: Set<FailureCause> = Set(FailureCause.allCases)

    /// Makes a configuration; see each property for its meaning.
    ///
    /// - Parameters:
    ///   - failureThreshold: consecutive counted failures that open the breaker.
    ///   - openTimeout: how long the breaker stays open before admitting probes.
    ///   - halfOpenProbes: how many signals half-open admits as probes.
    ///   - probeTimeout: how long a probe may go without an outcome; nil means `openTimeout`.
    ///   - countedFailures: the failure causes that count toward `failureThreshold`.
    public init(failureThreshold: Int = 5, openTimeout: Duration = .seconds(30), halfOpenProbes: Int = 1, probeTimeout: Duration? = nil,
                countedFailures: Set<FailureCause> = Set(FailureCause.allCases)) {
        self.failureThreshold = failureThreshold
        self.openTimeout = openTimeout
        self.halfOpenProbes = halfOpenProbes
        self.probeTimeout = probeTimeout
        self.countedFailures = countedFailures
    }
}

/// A circuit breaker with an injectable clock: closed → open after
/// `failureThreshold` consecutive failures; open rejects for `openTimeout`;
/// then half-open admits `halfOpenProbes` probes (every other caller is
/// rejected); a probe success closes it, a probe failure (or a probe that
/// outlives `probeTimeout`) reopens it. Rejections are not failures.
public final class CircuitBreaker: Sendable {
    /// What ``admit(_:)`` decided.
    public enum Admission: Sendable, Equatable {
        /// Closed: go ahead.
        case allowed
        /// Half-open: admitted as one of the probes.
        case probe
        /// Open, or half-open with every probe slot taken.
        case rejected
    }

    struct State {
        var state: CircuitState = .closed
        var consecutiveFailures = 0
        var openedAt: Int64 = 0
        /// Probe id → admission time, for the current half-open period.
        var probes: [String: Int64] = [:]
        var probesAdmitted = 0
        var transitions = 0
    }

    public let configuration: CircuitBreakerConfiguration
    let clock: any LogClock
    let state = LockedValue(State())
    /// Mirrors `state.state == .closed`, so admitting while closed takes no lock.
    let closed = Atomic<Bool>(true)
    /// Mirrors closed with no failures counted: a success then changes
    /// nothing, so recording it takes no lock.
    let clean = Atomic<Bool>(true)

    /// Makes a closed breaker.
    ///
    /// - Parameters:
    ///   - configuration: thresholds, timeouts and the failures that count.
    ///   - clock: the clock the open timeout and probe timeout are measured by.
    public init(configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(), clock: any LogClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
    }

    var openMicros: Int64 { micros(configuration.openTimeout) }
    var probeMicros: Int64 { micros(configuration.probeTimeout ?? configuration.openTimeout) }

    /// The state now (an open breaker whose timeout has passed reads as half-open).
    public var currentState: CircuitState {
        state.withLock { state in
            advance(&state, now: clock.nowMicroseconds())
            return state.state
        }
    }

    /// Times the breaker changed state.
    public var transitionCount: Int { state.withLock { $0.transitions } }

    /// Asks to let the call identified by `id` through.
    ///
    /// - Parameter id: identifies the call (a signal id); its outcome is recorded under it.
    /// - Returns: whether the call may go through, and whether as a probe.
    public func admit(_ id: String) -> Admission {
        if closed.load(ordering: .acquiring) { return .allowed }
        return state.withLock { state in
            let now = clock.nowMicroseconds()
            advance(&state, now: now)
            switch state.state {
            case .closed:
                return .allowed
            case .open:
                return .rejected
            case .halfOpen:
                if state.probesAdmitted < configuration.halfOpenProbes {
                    state.probesAdmitted += 1
                    state.probes[id] = now
                    return .probe
                }
                return .rejected
            }
        }
    }

    /// A call gave up its admission without an outcome (for example it was a
    /// duplicate): its probe slot is freed.
    ///
    /// - Parameter id: the call, as it was admitted.
    public func release(_ id: String) {
        state.withLock { state in
            if state.state == .halfOpen, state.probes.removeValue(forKey: id) != nil {
                state.probesAdmitted -= 1
            }
        }
    }

    /// The call `id` succeeded.
    ///
    /// - Parameter id: the call, as it was admitted.
    public func recordSuccess(_ id: String) {
        if clean.load(ordering: .acquiring) { return }
        state.withLock { state in
            advance(&state, now: clock.nowMicroseconds())
            switch state.state {
            case .closed:
                state.consecutiveFailures = 0
                clean.store(true, ordering: .releasing)
            case .halfOpen:
                if state.probes[id] != nil { close(&state) }
            case .open:
                break
            }
        }
    }

    /// The call `id` failed.
    ///
    /// - Parameter id: the call, as it was admitted.
    public func recordFailure(_ id: String) {
        state.withLock { state in
            let now = clock.nowMicroseconds()
            advance(&state, now: now)
            switch state.state {
            case .closed:
                state.consecutiveFailures += 1
                clean.store(false, ordering: .releasing)
                if state.consecutiveFailures >= configuration.failureThreshold { open(&state, now: now) }
            case .halfOpen:
                if state.probes[id] != nil { open(&state, now: now) }
            case .open:
                break
            }
        }
    }

    /// The call `id` failed for `cause`: a failure if the configuration
    /// counts that cause (``CircuitBreakerConfiguration/countedFailures``),
    /// otherwise the call gives up its admission like ``release(_:)``.
    ///
    /// - Parameters:
    ///   - id: the call, as it was admitted.
    ///   - cause: why the call failed.
    public func recordFailure(_ id: String, cause: FailureCause) {
        if configuration.countedFailures.contains(cause) {
            recordFailure(id)
        } else {
            release(id)
        }
    }

    /// Applies the passage of time: open → half-open after the timeout; a
    /// half-open breaker whose probes have all outlived the probe timeout
    /// reopens.
    private func advance(_ state: inout State, now: Int64) {
        if state.state == .open, now - state.openedAt >= openMicros {
            state.state = .halfOpen
            state.probes = [:]
            state.probesAdmitted = 0
            state.transitions += 1
        }
        if state.state == .halfOpen, state.probesAdmitted >= configuration.halfOpenProbes, !state.probes.isEmpty,
           state.probes.values.allSatisfy({ now - $0 >= probeMicros }) {
            open(&state, now: now)
        }
    }

    private func open(_ state: inout State, now: Int64) {
        closed.store(false, ordering: .releasing)
        clean.store(false, ordering: .releasing)
        state.state = .open
        state.openedAt = now
        state.consecutiveFailures = 0
        state.probes = [:]
        state.probesAdmitted = 0
        state.transitions += 1
    }

    private func close(_ state: inout State) {
        closed.store(true, ordering: .releasing)
        clean.store(true, ordering: .releasing)
        state.state = .closed
        state.consecutiveFailures = 0
        state.probes = [:]
        state.probesAdmitted = 0
        state.transitions += 1
    }
}

func micros(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
}
