import SegmentLog

/// Why the benchmark stopped: a workload that did not run correctly (the
/// wrong number of records read back, an engine or SQLite error) or a bad
/// command line. Timing never causes a failure.
enum BenchFailure: Error, CustomStringConvertible {
    case usage(String)
    case wrongCount(workload: String, expected: Int, got: Int)
    case sqlite(operation: String, code: Int32, message: String)
    case io(operation: String, path: String, errno: Int32)
    case engine(workload: String, error: any Error)
    case check(workload: String, reason: String)

    var description: String {
        switch self {
        case .usage(let text):
            return "usage error: \(text) (run with --help)"
        case .wrongCount(let workload, let expected, let got):
            return "\(workload): expected \(expected) records but got \(got)"
        case .sqlite(let operation, let code, let message):
            return "SQLite \(operation) failed with code \(code): \(message)"
        case .io(let operation, let path, let errno):
            return "\(operation) of \(path) failed: errno \(errno)"
        case .engine(let workload, let error):
            return "\(workload): \(error)"
        case .check(let workload, let reason):
            return "\(workload): \(reason)"
        }
    }

    /// Throws ``wrongCount(workload:expected:got:)`` unless the counts agree.
    static func expect(_ workload: String, expected: Int, got: Int) throws(BenchFailure) {
        if expected != got { throw .wrongCount(workload: workload, expected: expected, got: got) }
    }
}

/// Runs engine calls, turning a ``SegmentLog/SegmentLogError`` into
/// ``BenchFailure/engine(workload:error:)`` that names the workload.
func engine<T>(_ workload: String, _ body: () throws(SegmentLogError) -> T) throws(BenchFailure) -> T {
    do {
        return try body()
    } catch {
        throw .engine(workload: workload, error: error)
    }
}
