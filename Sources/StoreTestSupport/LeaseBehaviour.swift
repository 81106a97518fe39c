import Foundation
import Governance
import Testing

extension StoreBehaviour {
    /// One holder at a time; renewals by the holder; take-over once a lease ran out; release.
    @Sendable static func jobLeases(_ make: TerritoryFactory) async throws {
        let store = try await make()
        let now = t1
        #expect(try await store.acquireLease("supervision", holder: "a", now: now, until: now + 180))
        #expect(try await !store.acquireLease("supervision", holder: "b", now: now + 60, until: now + 240))
        // Another job is another lease.
        #expect(try await store.acquireLease("retention", holder: "b", now: now + 60, until: now + 240))
        // The holder renews; the other still waits, even a moment before the renewed end.
        #expect(try await store.acquireLease("supervision", holder: "a", now: now + 120, until: now + 300))
        #expect(try await !store.acquireLease("supervision", holder: "b", now: now + 299, until: now + 480))
        // "a" stopped renewing: once its lease ran out, "b" takes over and "a" no longer holds it.
        #expect(try await store.leaseHolder("supervision", at: now + 299) == "a")
        #expect(try await store.leaseHolder("supervision", at: now + 300) == nil)
        #expect(try await store.acquireLease("supervision", holder: "b", now: now + 300, until: now + 480))
        #expect(try await !store.acquireLease("supervision", holder: "a", now: now + 310, until: now + 490))
        #expect(try await store.leaseHolder("supervision", at: now + 310) == "b")
        // Released, it is free at once; releasing someone else's lease does nothing.
        try await store.releaseLease("supervision", holder: "a")
        #expect(try await !store.acquireLease("supervision", holder: "a", now: now + 320, until: now + 500))
        try await store.releaseLease("supervision", holder: "b")
        #expect(try await store.acquireLease("supervision", holder: "a", now: now + 330, until: now + 510))

        // Many contenders at the same moment: exactly one wins.
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask { try await store.acquireLease("sweep", holder: "h\(i)", now: now, until: now + 60) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }
}
