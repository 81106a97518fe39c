import Foundation
import GeoKit
import Governance
import PostgresStore
import Synchronization
import Testing

/// Two instances of one deployment (two pools on one schema), as two `citybrain serve` processes.
@Suite("PostgresStore: several instances")
struct PostgresInstanceTests {
    static func notice(_ number: String) throws -> CaseNotice {
        let c = Case(number: number, source: .hotline, classCode: try CaseClassCode("E0102"), urgency: .normal, description: "", location: Coordinate(longitude: 120.3, latitude: 30.4),
                     gridCode: try RegionCode("33011000100101"), reporter: "w", reportedAt: Date(timeIntervalSince1970: 1_764_460_800.123))
        return CaseNotice(c, action: .report, at: Date(timeIntervalSince1970: 1_764_460_801.5))
    }

    final class Listening: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Collects what a subscription receives.
    final class Received: Sendable {
        let numbers = Mutex<[String]>([])
        let notices = Mutex<[CaseNotice]>([])
        func count() -> Int { numbers.withLock { $0.count } }
    }

    static func collect(_ hub: CaseNoticeHub) -> (Received, Task<Void, Never>) {
        let received = Received()
        let subscription = hub.subscribe()
        let task = Task {
            for await n in subscription.notices {
                received.numbers.withLock { $0.append(n.number) }
                received.notices.withLock { $0.append(n) }
            }
        }
        return (received, task)
    }

    @Test("case notices published in one instance reach the other's live views once, by LISTEN/NOTIFY, and never echo back")
    func relay() async throws {
        let first = try await TestServer.freshStore()
        let schema = try #require(first.schema)
        let second = try await TestServer.store(schema: schema)
        // Another deployment on the same database (its own schema) hears nothing of these.
        let stranger = try await TestServer.freshStore()
        let hubs = (CaseNoticeHub(), CaseNoticeHub(), CaseNoticeHub())
        let ready = Listening()
        let relays = [
            Task { await first.relayCaseNotices(through: hubs.0, instance: "one") { ready.count.add(1, ordering: .relaxed) } },
            Task { await second.relayCaseNotices(through: hubs.1, instance: "two") { ready.count.add(1, ordering: .relaxed) } },
            Task { await stranger.relayCaseNotices(through: hubs.2, instance: "three") { ready.count.add(1, ordering: .relaxed) } },
        ]
        for _ in 0..<500 where ready.count.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(ready.count.load(ordering: .relaxed) == 3)
        let (onFirst, c1) = Self.collect(hubs.0)
        let (onSecond, c2) = Self.collect(hubs.1)
        let (onStranger, c3) = Self.collect(hubs.2)

        let sent = try Self.notice("330110-20261130-00001")
        hubs.0.publish(sent)
        hubs.1.publish(try Self.notice("330110-20261130-00002"))
        for _ in 0..<500 where onFirst.count() < 2 || onSecond.count() < 2 { try await Task.sleep(for: .milliseconds(10)) }
        // Give an echo or a stray notice the time to arrive, were there one.
        try await Task.sleep(for: .milliseconds(300))
        #expect(onFirst.numbers.withLock { $0 }.sorted() == ["330110-20261130-00001", "330110-20261130-00002"])
        #expect(onSecond.numbers.withLock { $0 }.sorted() == ["330110-20261130-00001", "330110-20261130-00002"])
        #expect(onStranger.count() == 0)
        // The notice arrives whole (time to the millisecond).
        #expect(onSecond.notices.withLock { $0 }.first { $0.number == sent.number } == sent)

        for task in relays + [c1, c2, c3] { task.cancel() }
        for task in relays { await task.value }
        await first.shutdown()
        await second.shutdown()
        await stranger.shutdown()
    }
}
