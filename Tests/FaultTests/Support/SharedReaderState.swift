import Synchronization

/// What the reader threads share with the test: a stop flag, a count of
/// snapshots taken and the problems they saw.
final class SharedReaderState: Sendable {
    let done = Atomic<Bool>(false)
    let snapshots = Atomic<Int>(0)
    let problems = Mutex<[String]>([])

    func note(_ problem: String) { problems.withLock { $0.append(problem) } }
}
