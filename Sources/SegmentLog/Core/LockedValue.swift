#if canImport(Glibc)
import Glibc
#endif

/// A value behind a plain `pthread_mutex_t`, with a condition variable for
/// the few places threads wait for each other: the one lock type of the
/// engine and the processing layer.
///
/// Why not `Synchronization.Mutex`: on Linux it is a priority-inheritance
/// futex, and a thread that finds it held keeps spinning in the kernel for
/// as long as the holder runs. The log holds its lock across a `pwrite`,
/// and a node holds its locks for a whole batch (hundreds of
/// microseconds), so waiters burned their core instead of letting the
/// other threads run. A plain mutex puts the waiter to sleep after a short
/// try.
package final class LockedValue<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Read and written only with `mutex` held, hence the unchecked `Sendable`.
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    package func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Runs `body` with the value if the lock is free now; nil otherwise.
    package func withLockIfAvailable<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Runs `body` with the value, then wakes every thread waiting in
    /// ``wait(_:)`` or ``wait(milliseconds:_:)`` to look at it again.
    package func withLockBroadcasting<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Holds the lock and calls `body` until it returns a result, sleeping
    /// between calls until another thread changes the value with
    /// ``withLockBroadcasting(_:)``.
    package func wait<T, E: Error>(_ body: (inout Value) throws(E) -> T?) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = try body(&value) { return result }
            pthread_cond_wait(condition, mutex)
        }
    }

    /// Sleeps until a broadcast or until `milliseconds` pass, unless
    /// `skip` (called with the lock held) says not to; then returns
    /// `after` of the value.
    package func wait<T>(milliseconds: Int, unless skip: (Value) -> Bool, then after: (Value) -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if !skip(value) {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let nanos = Int(deadline.tv_nsec) + (milliseconds % 1000) * 1_000_000
            deadline.tv_sec += milliseconds / 1000 + nanos / 1_000_000_000
            deadline.tv_nsec = nanos % 1_000_000_000
            pthread_cond_timedwait(condition, mutex, &deadline)
        }
        return after(value)
    }
}

/// Starts a detached OS thread (for the interval flusher, which blocks in
/// fsync and timed waits and so must not occupy a Swift concurrency thread).
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { argument in
        let box = Unmanaged<AnyObject>.fromOpaque(argument!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed with \(result)")
    pthread_detach(thread)
}
