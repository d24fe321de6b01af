import Dispatch
import SegmentLog
import Testing

/// The one lock type of the engine and the node (`LockedValue`).
@Suite struct LockedValueTests {
    @Test func concurrentUpdatesAreNotLost() async {
        let counter = LockedValue(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<10_000 { counter.withLock { $0 += 1 } } }
            }
        }
        #expect(counter.withLock { $0 } == 80_000)
    }

    @Test func tryingAHeldLockGivesNilAndAFreeOneRuns() {
        let value = LockedValue("free")
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            value.withLock { _ in
                held.signal()
                release.wait()
            }
            done.signal()
        }
        held.wait()
        #expect(value.withLockIfAvailable { $0 } == nil)
        release.signal()
        done.wait()
        #expect(value.withLockIfAvailable { text -> String in
            text = "taken"
            return text
        } == "taken")
        #expect(value.withLock { $0 } == "taken")
    }

    @Test func aThrowingBodyReleasesTheLock() {
        let value = LockedValue(1)
        #expect(throws: Inside.self) {
            try value.withLock { (_: inout Int) throws(Inside) in throw Inside() }
        }
        #expect(value.withLockIfAvailable { $0 } == 1)
    }

    private struct Inside: Error {}

    @Test func aWaiterSleepsUntilABroadcastMakesItsConditionTrue() {
        let value = LockedValue(0)
        let started = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let seen = LockedValue(-1)
        DispatchQueue.global().async {
            started.signal()
            let result = value.wait { $0 >= 3 ? $0 : nil }
            seen.withLock { $0 = result }
            finished.signal()
        }
        started.wait()
        for _ in 0..<3 { value.withLockBroadcasting { $0 += 1 } }
        finished.wait()
        #expect(seen.withLock { $0 } == 3)
    }

    @Test func aWaitersThrowReleasesTheLock() {
        let value = LockedValue(7)
        #expect(throws: Inside.self) {
            try value.wait { (_: inout Int) throws(Inside) -> Int? in throw Inside() }
        }
        #expect(value.withLockIfAvailable { $0 } == 7)
    }

    @Test func aTimedWaitReturnsWithoutABroadcastAndSkipsWhenTold() {
        let value = LockedValue(false)
        // No broadcast comes: the wait ends by its (short) deadline.
        #expect(value.wait(milliseconds: 1, unless: { $0 }, then: { !$0 }))
        value.withLock { $0 = true }
        #expect(!value.wait(milliseconds: 60_000, unless: { $0 }, then: { !$0 }))
    }
}
