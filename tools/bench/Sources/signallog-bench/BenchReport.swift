/// Everything one run measured, as written to the results file and printed
/// with `--json`; the table is rendered from it.
struct BenchReport: Codable, Sendable {
    struct Machine: Codable, Sendable {
        var cpu: String
        var memoryGiB: Double
        var kernel: String
        /// Load average (1, 5, 15 min) when the run started and ended: the machine is shared.
        var loadBefore: String
        var loadAfter: String
    }

    struct Corpus: Codable, Sendable {
        var templates: Int
        var partitions: Int
        var meanPayloadBytes: Double
    }

    /// A ratio computed inside this run.
    struct Ratio: Codable, Sendable {
        var name: String
        var value: Double
    }

    var date: String
    var commit: String
    var command: String
    var quick: Bool
    var signals: Int
    var machine: Machine
    var corpus: Corpus
    var ingest: [IngestResult] = []
    var bounds: MachineBounds.Result?
    var replay: [ReplayResult] = []
    var startup: StartupWorkload.Result?
    var processing: ProcessingResult?
    /// Why the processing workload did not run, if it did not.
    var processingNote: String?
    var ratios: [Ratio] = []
    var targets: [TargetCheck] = []
    var totalSeconds: Double = 0

    func ingest(_ system: String, _ policy: DurabilityPolicy, _ batch: Int, writers: Int = 1) -> IngestResult? {
        ingest.first { $0.system == system && $0.policy == policy && $0.batch == batch && $0.writers == writers }
    }

    func replay(_ system: String, _ query: String) -> ReplayResult? {
        replay.first { $0.system == system && $0.query == query }
    }
}
