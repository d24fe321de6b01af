import Metrics

/// The swift-metrics instruments of one node (names in docs/signals.md).
/// Every instrument carries the dimension `node` = the node id.
final class NodeMetrics: Sendable {
    let received: Counter
    let processed: Counter
    let failures: Counter
    /// Every failed processing outcome, by cause.
    let errors: [FailureCause: Counter]
    let duplicates: Counter
    let conflicts: Counter
    let rejected: [String: Counter]
    let deadLettered: [DeadLetterReason: Counter]
    let reprocessed: Counter
    let discarded: Counter
    let flowWarnings: Counter
    let flowRefusals: Counter
    let queueDepth: Gauge
    let deadLetterQueueSize: Gauge
    let circuitState: Gauge
    let maxAge: Gauge
    let meanAge: Gauge
    let throughput: Gauge
    let errorRate: Gauge
    let processingDuration: Metrics.Timer

    init(nodeID: String, factory: any MetricsFactory) {
        let node = [("node", nodeID)]
        received = Counter(label: "signallog_signals_received_total", dimensions: node, factory: factory)
        processed = Counter(label: "signallog_signals_processed_total", dimensions: node, factory: factory)
        failures = Counter(label: "signallog_processing_failures_total", dimensions: node, factory: factory)
        var errors: [FailureCause: Counter] = [:]
        for cause in FailureCause.allCases {
            errors[cause] = Counter(label: "signallog_errors_total", dimensions: node + [("cause", cause.rawValue)], factory: factory)
        }
        self.errors = errors
        duplicates = Counter(label: "signallog_duplicates_total", dimensions: node, factory: factory)
        conflicts = Counter(label: "signallog_conflicts_total", dimensions: node, factory: factory)
        var rejected: [String: Counter] = [:]
        for reason in ["circuit_open", "backpressure", "shutting_down", "invalid_signal"] {
            rejected[reason] = Counter(label: "signallog_signals_rejected_total", dimensions: node + [("reason", reason)], factory: factory)
        }
        self.rejected = rejected
        var moved: [DeadLetterReason: Counter] = [:]
        for reason in DeadLetterReason.allCases {
            moved[reason] = Counter(label: "signallog_dead_lettered_total", dimensions: node + [("reason", reason.description)], factory: factory)
        }
        deadLettered = moved
        reprocessed = Counter(label: "signallog_dead_letters_resolved_total", dimensions: node + [("how", "reprocessed")], factory: factory)
        discarded = Counter(label: "signallog_dead_letters_resolved_total", dimensions: node + [("how", "discarded")], factory: factory)
        flowWarnings = Counter(label: "signallog_flow_control_warnings_total", dimensions: node, factory: factory)
        flowRefusals = Counter(label: "signallog_flow_control_refusals_total", dimensions: node, factory: factory)
        queueDepth = Gauge(label: "signallog_queue_depth", dimensions: node, factory: factory)
        deadLetterQueueSize = Gauge(label: "signallog_dead_letter_queue_size", dimensions: node, factory: factory)
        circuitState = Gauge(label: "signallog_circuit_breaker_state", dimensions: node, factory: factory)
        maxAge = Gauge(label: "signallog_message_age_max_seconds", dimensions: node, factory: factory)
        meanAge = Gauge(label: "signallog_message_age_mean_seconds", dimensions: node, factory: factory)
        throughput = Gauge(label: "signallog_throughput_per_second", dimensions: node, factory: factory)
        errorRate = Gauge(label: "signallog_error_rate", dimensions: node, factory: factory)
        processingDuration = Metrics.Timer(label: "signallog_processing_duration_seconds", dimensions: node, factory: factory)
    }
}
