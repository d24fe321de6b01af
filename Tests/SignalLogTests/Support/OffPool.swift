import Foundation

/// Runs `body`, which blocks (waiting for a child process), on a thread of
/// its own instead of one of Swift concurrency's few cooperative threads:
/// blocking those (two on a two-core machine) would stall every other
/// test's node meanwhile.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
