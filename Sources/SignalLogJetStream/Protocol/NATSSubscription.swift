import NIOCore
import NIOPosix
import Synchronization

/// Messages delivered to one subscription, in arrival order. One consumer
/// at a time reads it, with ``next(timeout:)`` or as an `AsyncSequence`.
///
/// A subscription survives reconnects (the client subscribes again on the
/// new connection); messages published while no connection was up are
/// not delivered. It ends after ``NATSClient/unsubscribe(_:)`` or close.
public final class NATSSubscription: Sendable, AsyncSequence {
    public typealias Element = NATSMessage
    /// The subscription id on the wire.
    public let sid: UInt64
    public let subject: String
    public let queue: String?

    private struct Mailbox {
        var queued: [NATSMessage] = []
        var head = 0
        var waiter: CheckedContinuation<NATSMessage?, Never>?
        var waiterID: UInt64 = 0
        var finished = false
    }
    private let mailbox = Mutex(Mailbox())

    init(sid: UInt64, subject: String, queue: String?) {
        self.sid = sid
        self.subject = subject
        self.queue = queue
    }

    /// Delivers a message (called on the connection's event loop).
    func deliver(_ message: NATSMessage) {
        let waiter = mailbox.withLock { box -> CheckedContinuation<NATSMessage?, Never>? in
            if box.finished { return nil }
            if let waiter = box.waiter {
                box.waiter = nil
                return waiter
            }
            box.queued.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    /// Ends the subscription: the reader gets what is queued, then nil.
    func finish() {
        let waiter = mailbox.withLock { box -> CheckedContinuation<NATSMessage?, Never>? in
            box.finished = true
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next message; nil when the subscription has ended or, with a
    /// `timeout`, when none arrived in time.
    public func next(timeout: Duration? = nil) async -> NATSMessage? {
        if let ready = takeQueued() { return ready.message }
        return await withCheckedContinuation { (continuation: CheckedContinuation<NATSMessage?, Never>) in
            let (immediate, id) = mailbox.withLock { box -> (NATSMessage??, UInt64) in
                if box.head < box.queued.count {
                    let message = box.queued[box.head]
                    box.head += 1
                    compact(&box)
                    return (.some(message), 0)
                }
                if box.finished { return (.some(nil), 0) }
                box.waiterID &+= 1
                box.waiter = continuation
                return (nil, box.waiterID)
            }
            if let immediate {
                continuation.resume(returning: immediate)
                return
            }
            if let timeout {
                MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [self] in
                    let expired = mailbox.withLock { box -> CheckedContinuation<NATSMessage?, Never>? in
                        guard box.waiterID == id, let waiter = box.waiter else { return nil }
                        box.waiter = nil
                        return waiter
                    }
                    expired?.resume(returning: nil)
                }
            }
        }
    }

    private func takeQueued() -> (message: NATSMessage?, Void)? {
        mailbox.withLock { box in
            guard box.head < box.queued.count else { return nil }
            let message = box.queued[box.head]
            box.head += 1
            compact(&box)
            return (message, ())
        }
    }

    private func compact(_ box: inout Mailbox) {
        if box.head == box.queued.count {
            box.queued.removeAll(keepingCapacity: true)
            box.head = 0
        } else if box.head > 1024 && box.head * 2 > box.queued.count {
            box.queued.removeFirst(box.head)
            box.head = 0
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: NATSSubscription
        public mutating func next() async -> NATSMessage? { await subscription.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }
}

extension Duration {
    /// The whole duration in nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }

    var seconds: Double { Double(nanoseconds) / 1e9 }
}
