import Foundation
import GeoKit
import Governance
import Logging
import Server
import SQLiteStore
import Testing

/// What lets several instances share one database, on the embedded store: the scheduled job's
/// lease and the relay's view of the notice hub. (PostgreSQL's side: PostgresStoreTests, and the
/// two-process test in CLITests.)
@Suite("Several instances")
struct InstanceTests {
    static func caseService() async throws -> CaseService {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-instances-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        let regions = RegionService(store: store)
        try await regions.load()
        let cases = CaseService(store: store, regions: regions, addresses: AddressService(store: store, regions: regions), vault: PersonalDataVault(.generate()),
                                attachments: AttachmentVault(directory: folder.appendingPathComponent("attachments")))
        try await cases.load()
        return cases
    }

    @Test("supervision runs in the instance holding its lease; another takes over when the lease runs out, or at once when it is released")
    func supervisionLease() async throws {
        let cases = try await Self.caseService()
        let logger = Logger(label: "test")
        let a = SupervisionService(cases: cases, leases: cases.store, holder: "a", interval: .seconds(60), logger: logger)
        let b = SupervisionService(cases: cases, leases: cases.store, holder: "b", interval: .seconds(60), logger: logger)
        let t = Date(timeIntervalSince1970: 1_764_460_800)
        #expect(try await a.runOnce(at: t) != nil)
        #expect(try await b.runOnce(at: t + 1) == nil)
        #expect(try await a.runOnce(at: t + 60) != nil)
        // Three intervals after a's last run, its lease has run out.
        #expect(try await b.runOnce(at: t + 239) == nil)
        #expect(try await b.runOnce(at: t + 240) != nil)
        #expect(try await a.runOnce(at: t + 250) == nil)
        try await cases.store.releaseLease(SupervisionService.job, holder: "b")
        #expect(try await a.runOnce(at: t + 251) != nil)
    }

    @Test("a relay hears only this process's own notices; relayed ones reach the live views and are not sent on again")
    func relayedNotices() async throws {
        let hub = CaseNoticeHub()
        let relay = hub.subscribe(localOnly: true)
        let view = hub.subscribe()
        let local = Case(number: "330110-20261130-00001", source: .patrol, classCode: nil, urgency: .normal, description: "", location: Coordinate(longitude: 120, latitude: 30),
                         gridCode: try RegionCode("33011000100101"), reporter: "w", reportedAt: Date())
        var remote = local
        remote.number = "330110-20261130-00002"
        hub.publish(CaseNotice(local, action: .report, at: Date()))
        hub.publish(CaseNotice(remote, action: .report, at: Date()), relayed: true)
        hub.endAll()
        var relayed: [String] = [], viewed: [String] = []
        for await n in relay.notices { relayed.append(n.number) }
        for await n in view.notices { viewed.append(n.number) }
        #expect(relayed == [local.number])
        #expect(viewed == [local.number, remote.number])
        #expect(hub.generation == 2)
    }
}
