import Logging
import Metrics
import SegmentLog

/// Handles signals of one type. Throwing is a failed attempt; the retry
/// policy decides what follows.
public typealias SignalHandler = @Sendable (Signal) async throws -> Void

/// How often a failing handler is retried before the signal is dead-lettered.
/// While a signal is retried its partition waits (nothing behind it runs).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total, including the first (at least 1).
    public var maxAttempts: Int = 3
    /// Wait before the second attempt; doubled (by `multiplier`) each time.
    public var initialBackoff: Duration = .milliseconds(100)
    public var multiplier: Double = 2
    public var maxBackoff: Duration = .seconds(5)

    /// Makes a retry policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: attempts in total, including the first (at least 1).
    ///   - initialBackoff: the wait before the second attempt.
    ///   - multiplier: the factor each later wait grows by.
    ///   - maxBackoff: the longest wait.
    public init(maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(100), multiplier: Double = 2, maxBackoff: Duration = .seconds(5)) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.maxBackoff = maxBackoff
    }

    /// The wait after failed attempt number `attempt` (1-based).
    ///
    /// - Parameter attempt: the number of the attempt that failed, from 1.
    /// - Returns: `initialBackoff` grown by `multiplier` per attempt after the
    ///   first, at most `maxBackoff`.
    public func backoff(after attempt: Int) -> Duration {
        var wait = initialBackoff
        for _ in 1..<max(1, attempt) {
            wait = wait * multiplier
            if wait >= maxBackoff { return maxBackoff }
        }
        return min(wait, maxBackoff)
    }
}

/// Producer-side flow control thresholds, as fractions of a target's queue capacity.
public struct FlowControlThresholds: Sendable, Equatable {
    /// At or above this a sender warns, once per crossing (default 0.80).
    public var warning: Double = 0.80
    /// At or above this a sender refuses the target (default 0.95).
    public var refusal: Double = 0.95
    /// The warning re-arms only once the fill drops below `warning - hysteresis`
    /// (default 0.10, so below 70 %).
    public var hysteresis: Double = 0.10

    /// Makes thresholds, each a fraction of the target's queue capacity.
    ///
    /// - Parameters:
    ///   - warning: the fill at or above which a sender warns.
    ///   - refusal: the fill at or above which a sender refuses the target.
    ///   - hysteresis: how far below `warning` the fill must drop to re-arm the warning.
    public init(warning: Double = 0.80, refusal: Double = 0.95, hysteresis: Double = 0.10) {
        self.warning = warning
        self.refusal = refusal
        self.hysteresis = hysteresis
    }
}

/// Settings of a ``SignalNode``, fixed at open. Defaults follow the
/// original specification (docs/signals.md lists them).
public struct SignalNodeOptions: Sendable {
    /// A key seen within this long is a duplicate (default 300 s).
    public var dedupeTTL: Duration = .seconds(300)
    /// Idempotency keys the dedupe store holds at most (default 6 000 000,
    /// about 64 MiB: 8 bytes a key at a load between 3/8 and 13/16). When
    /// more keys than this were accepted within the TTL, the oldest are
    /// dropped before they expire — logged as a warning, counted in
    /// ``SignalNode/dedupeStatus`` and in the
    /// `signallog_dedupe_keys_dropped_early_total` metric — and a duplicate
    /// of a dropped key is accepted as new (docs/signals.md, "Dedupe").
    public var dedupeMaxKeys: Int = 6_000_000
    public var circuitBreaker = CircuitBreakerConfiguration()
    public var retry = RetryPolicy()
    /// Signals a node holds accepted-but-unprocessed; `receive` refuses with
    /// backpressure at this depth, `send` at the refusal threshold (default 10 000).
    public var queueCapacity: Int = 10_000
    /// Pending signals a node holds in memory (default 4096): pending
    /// signals beyond them stay in the log only and are read back, in
    /// order, as workers make room (docs/signals.md, "Pending work"). A
    /// processing node holds up to ``queueCapacity`` if that is larger — what
    /// live producers may queue before they are refused — so only work left
    /// from before an open, or accepted by an accept-only node (whose
    /// capacity may be unbounded), is read back.
    public var pendingWindow: Int = 4096
    public var flowControl = FlowControlThresholds()
    /// Above this many dead letters the node logs a warning (default 100).
    /// Dead letters are never dropped.
    public var maxDeadLetters: Int = 100
    /// Supported schema versions and upcasters (default "1.0" and "1.1").
    public var schemas = SchemaRegistry()
    /// Wall-clock time for the log, dedupe, breaker and attempt records.
    public var clock: any LogClock = SystemClock()
    /// Options for the underlying log (its clock is replaced by ``clock``).
    public var log = LogOptions()
    /// A checkpoint marker is written after this many records (default 10 000).
    public var checkpointInterval: Int = 10_000
    /// Drain timeout when the node runs as a ServiceLifecycle `Service`.
    public var shutdownTimeout: Duration = .seconds(30)
    /// A partition's worker takes up to this many consecutive signals at a
    /// time (one lock acquisition) before it hands their outcomes on.
    public var maxBatchRun: Int = 256
    /// Whether the node processes what it accepts (default true). A node
    /// opened with `false` is *accept-only*: it applies every acceptance rule
    /// (breaker, capacity, validation, dedupe) and appends signal records,
    /// but runs no handler, dead-letters nothing and starts no worker, so
    /// accepted signals — and those already pending in the log — stay
    /// pending and are processed by the next node that opens the log with
    /// processing on. For importers and maintenance tools that must not
    /// process on the owning service's behalf; ``SignalNode/gracefulShutdown(timeout:)``
    /// then does not wait (nothing would drain) and returns whether nothing is pending.
    public var processing = true
    public var logger = Logger(label: "signallog.node")
    /// Where the node's metrics go; nil means the bootstrapped `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)? = nil

    /// Makes the default settings.
    public init() {}

    /// How many pending signals the node holds in memory: the window, or a
    /// processing node's queue capacity if larger.
    var memoryWindow: Int { max(1, processing ? max(pendingWindow, queueCapacity) : pendingWindow) }
}

/// Supported schema versions with upcasters from older to newer versions,
/// applied to live and replayed signals alike.
public struct SchemaRegistry: Sendable {
    public typealias Upcaster = @Sendable (Signal) throws -> Signal

    /// Versions a signal may carry.
    public private(set) var supportedVersions: Set<String>
    /// The version handlers see: signals are upcast to it.
    public private(set) var currentVersion: String
    /// Steps from a version to the next; a nil transform only relabels the
    /// version (every signal of the default registry takes one, so it costs
    /// no closure call).
    private var upcasters: [String: (target: String, transform: Upcaster?)] = [:]

    /// The default registry: "1.0" and "1.1", with a 1.0 → 1.1 upcaster that
    /// only changes the version (1.1 adds optional fields).
    public init() {
        supportedVersions = ["1.0", "1.1"]
        currentVersion = "1.1"
        upcasters["1.0"] = ("1.1", nil)
    }

    /// A registry of exactly `versions`, upcasting to `current`, with no upcasters.
    ///
    /// - Parameters:
    ///   - versions: the versions a signal may carry.
    ///   - current: the version handlers see; supported too.
    public init(versions: Set<String>, current: String) {
        supportedVersions = versions.union([current])
        currentVersion = current
    }

    /// Adds (or replaces) the upcaster from `version` to `target`; both become supported.
    ///
    /// - Parameters:
    ///   - version: the version the upcaster reads.
    ///   - target: the version it produces.
    ///   - transform: turns a signal of `version` into one of `target`; what it
    ///     throws makes the upcast fail.
    public mutating func addUpcaster(from version: String, to target: String, _ transform: @escaping Upcaster) {
        supportedVersions.insert(version)
        supportedVersions.insert(target)
        upcasters[version] = (target, transform)
    }

    /// Makes `version` the current one (adding it).
    ///
    /// - Parameter version: the version handlers should see.
    public mutating func setCurrent(_ version: String) {
        supportedVersions.insert(version)
        currentVersion = version
    }

    /// Why a signal cannot be brought to the current version.
    public enum Failure: Error, Sendable, Equatable {
        case missing
        case unsupported(String)
        case upcastFailed(from: String, error: String)
    }

    /// Makes `version` supported, handled as is (no upcaster).
    ///
    /// - Parameter version: the version to accept.
    public mutating func addSupported(_ version: String) {
        supportedVersions.insert(version)
    }

    /// Throws when the signal's schema version is missing or not supported:
    /// the check ``upcast(_:)`` begins with, and for which a processing
    /// node dead-letters a signal. Importers call it to refuse such signals
    /// at acceptance instead.
    ///
    /// - Parameter signal: the signal to check.
    /// - Throws: ``SchemaRegistry/Failure/missing`` when the signal has no schema
    ///   version; ``SchemaRegistry/Failure/unsupported(_:)`` when its version is
    ///   not supported.
    public func checkVersion(of signal: Signal) throws(Failure) {
        if signal.schemaVersion.isEmpty { throw .missing }
        guard supportedVersions.contains(signal.schemaVersion) else { throw .unsupported(signal.schemaVersion) }
    }

    /// The signal at the current version (unchanged when already current).
    ///
    /// A supported version with no upcaster onward is handled as it is.
    ///
    /// - Parameter signal: the signal to bring to ``currentVersion``.
    /// - Returns: the signal at the current version.
    /// - Throws: ``SchemaRegistry/Failure``: ``SchemaRegistry/Failure/missing`` or
    ///   ``SchemaRegistry/Failure/unsupported(_:)`` as ``checkVersion(of:)`` throws
    ///   them; ``SchemaRegistry/Failure/upcastFailed(from:error:)`` when an upcaster
    ///   throws, or when 64 steps do not reach the current version.
    public func upcast(_ signal: Signal) throws(Failure) -> Signal {
        try checkVersion(of: signal)
        var current = signal
        var steps = 0
        while current.schemaVersion != currentVersion {
            guard let step = upcasters[current.schemaVersion] else {
                // A supported version with no path forward is handled as is.
                return current
            }
            let from = current.schemaVersion
            if let transform = step.transform {
                do {
                    current = try transform(current)
                } catch {
                    throw .upcastFailed(from: from, error: "\(error)")
                }
            }
            if current.schemaVersion == from { current.schemaVersion = step.target }
            steps += 1
            if steps > 64 { throw .upcastFailed(from: from, error: "upcaster chain does not reach \(currentVersion)") }
        }
        return current
    }
}
