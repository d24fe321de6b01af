#if canImport(Glibc)
import Glibc
#endif

/// A value behind a plain `pthread_mutex_t`, for the node's two busy locks.
///
/// `Synchronization.Mutex` on Linux is a priority-inheritance futex, and a
/// thread that finds it held spins in the kernel for as long as the holder
/// runs. Acceptance holds the node's locks for a whole batch (hundreds of
/// microseconds), so a worker waiting on one burned its core for that long
/// instead of letting the other workers run. A plain mutex puts the waiter
/// to sleep after a short try, freeing the core.
final class LockedValue<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    // Read and written only with `mutex` held, hence the unchecked `Sendable`.
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Runs `body` with the value if the lock is free now; nil otherwise.
    func withLockIfAvailable<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
