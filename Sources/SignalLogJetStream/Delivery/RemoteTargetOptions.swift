import Logging
import SegmentLog
import SignalLog

/// How a ``RemoteTarget`` sends and applies flow control.
public struct RemoteTargetOptions: Sendable {
    /// The warning and refusal thresholds, as for a local send (80 % / 95 %).
    public var flowControl = FlowControlThresholds()
    /// How old a flow reading may be before the next send asks again
    /// (two small requests); between readings the sender adds what it sent.
    public var flowRefresh: Duration = .milliseconds(100)
    /// The capacity assumed for a node whose inbox has never answered (its
    /// queue capacity when it is up; a node's default is 10,000).
    public var assumedCapacity = 10_000
    /// Publishes awaiting their acks, at most.
    public var maxInFlight = 1_024
    /// The clock readings are aged by (inject a `ManualClock` in tests).
    public var clock: any LogClock = SystemClock()
    /// Where flow-control warnings go.
    public var logger = Logger(label: "signallog.remote-target")

    public init() {}
}
