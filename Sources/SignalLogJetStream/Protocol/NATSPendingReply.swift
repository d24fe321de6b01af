import NIOCore
import Synchronization

/// The reply to a request that has been sent: ``value()`` waits for it.
/// It settles once, with the reply, a timeout, or the loss of the connection.
public final class NATSPendingReply: Sendable {
    /// The subject the request was published to.
    public let subject: String
    let token: String

    private struct State {
        var result: Result<NATSMessage, NATSError>?
        var waiter: CheckedContinuation<Result<NATSMessage, NATSError>, Never>?
        var timer: Scheduled<Void>?
    }
    private let state = Mutex(State())

    init(subject: String, token: String) {
        self.subject = subject
        self.token = token
    }

    func setTimer(_ timer: Scheduled<Void>) {
        let settled = state.withLock { state -> Bool in
            if state.result != nil { return true }
            state.timer = timer
            return false
        }
        if settled { timer.cancel() }
    }

    /// Settles the reply; later calls are ignored. Returns whether this call settled it.
    @discardableResult
    func settle(_ result: Result<NATSMessage, NATSError>) -> Bool {
        let (waiter, timer, settled) = state.withLock { state -> (CheckedContinuation<Result<NATSMessage, NATSError>, Never>?, Scheduled<Void>?, Bool) in
            guard state.result == nil else { return (nil, nil, false) }
            state.result = result
            defer { state.waiter = nil; state.timer = nil }
            return (state.waiter, state.timer, true)
        }
        timer?.cancel()
        waiter?.resume(returning: result)
        return settled
    }

    /// The reply, or the error that ended the wait.
    public func value() async throws(NATSError) -> NATSMessage {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<NATSMessage, NATSError>, Never>) in
            let ready = state.withLock { state -> Result<NATSMessage, NATSError>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
