/// One ingest measurement: a system appending a number of records in
/// batches of a given size under one durability policy.
struct IngestResult: Codable, Sendable {
    /// "SignalLog" or "SQLite".
    var system: String
    var policy: DurabilityPolicy
    /// Records per append call (SignalLog) or per transaction (SQLite).
    var batch: Int
    /// Threads appending at the same time (SignalLog shares fsyncs between
    /// them — group commit; SQLite serializes their transactions).
    var writers: Int
    var records: Int
    /// Runs of this configuration; `seconds` is their median.
    var runs: Int
    /// Time from the first append until the last one returned (open and close excluded).
    var seconds: Double
    /// Time the final close took (SignalLog syncs the active segment; SQLite checkpoints the WAL).
    var closeSeconds: Double
    /// Payload and partition-key bytes appended.
    var inputBytes: Int
    /// Size of the log directory or database files after close.
    var bytesOnDisk: Int
    /// Bytes the process wrote to files while appending and closing
    /// (`wchar` of /proc/self/io): SQLite's WAL and checkpoints, SignalLog's
    /// batches and index files.
    var bytesWritten: Int
    /// Peak resident memory of the benchmark process while appending.
    var peakResidentBytes: Int
    /// How far the peak rose above the resident memory at the start of the
    /// timed part (the corpus and runtime are already resident then): what
    /// the system under test itself used.
    var addedResidentBytes: Int
    var recordsPerSecond: Double
    var inputMegabytesPerSecond: Double

    init(system: String, policy: DurabilityPolicy, batch: Int, writers: Int = 1, records: Int, runs: Int = 1, seconds: Double, closeSeconds: Double,
         inputBytes: Int, bytesOnDisk: Int, bytesWritten: Int, peakResidentBytes: Int, residentBeforeBytes: Int) {
        self.system = system
        self.policy = policy
        self.batch = batch
        self.writers = writers
        self.records = records
        self.runs = runs
        self.seconds = seconds
        self.closeSeconds = closeSeconds
        self.inputBytes = inputBytes
        self.bytesOnDisk = bytesOnDisk
        self.bytesWritten = bytesWritten
        self.peakResidentBytes = peakResidentBytes
        addedResidentBytes = max(0, peakResidentBytes - residentBeforeBytes)
        recordsPerSecond = Double(records) / max(seconds, 1e-9)
        inputMegabytesPerSecond = Double(inputBytes) / max(seconds, 1e-9) / 1e6
    }
}

extension IngestResult {
    /// The run with the median time among `results` (same configuration),
    /// marked with how many runs there were.
    static func median(_ results: [IngestResult]) -> IngestResult {
        var chosen = results.sorted { $0.seconds < $1.seconds }[results.count / 2]
        chosen.runs = results.count
        return chosen
    }
}
