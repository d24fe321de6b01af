/// Workload 5: `SignalNode.receive` with a trivial handler against a plain
/// append of the same records.
///
/// The processing layer (`SignalNode`) has not landed in module SignalLog
/// yet, so this workload reports that it could not run.
struct ProcessingWorkload {
    /// The prefix of the reason given when the processing layer is missing.
    static let unavailable = "SignalNode is not available"

    let buffers: CorpusBuffers
    let options: BenchOptions

    func run(directory: String) async throws -> ProcessingResult {
        throw BenchFailure.check(workload: "processing", reason: "\(Self.unavailable) in module SignalLog at this commit")
    }
}
