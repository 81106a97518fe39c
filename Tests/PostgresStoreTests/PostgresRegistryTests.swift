import Foundation
import Governance
import PostgresStore
import StoreTestSupport
import Testing

@Suite("PostgresStore: registries and layers")
struct PostgresRegistryTests {
    @Test("shared store behaviour: registries and layers", arguments: StoreBehaviour.registryChecks.map(\.name))
    func shared(_ name: String) async throws {
        let check = StoreBehaviour.registryChecks.first { $0.name == name }!.check
        try await check { try await TestServer.freshStore() }
    }

    @Test("a record holding the character NUL is refused whole: PostgreSQL text cannot hold it")
    func nul() async throws {
        let store = try await TestServer.freshStore()
        func place(_ key: String, _ name: String) -> RegistryRow {
            RegistryRow(line: 2, entry: RegistryEntry(kind: .place, key: key, addressCode: "A1", gridCode: nil, fields: ["name": name, "kind": "仓库"],
                                                      fieldSources: [:], source: "应急", importBatch: nil, updatedAt: Date()))
        }
        await #expect(throws: (any Error).self) {
            _ = try await store.writeRegistry(.place, feed: RegistryFeed([place("P1", "ok"), place("P2", "a\u{0}b")]),
                                              batch: ImportBatch(kind: "places", source: "t", actor: "t", importedAt: Date(), recordCount: 0), basedOnBatch: nil)
        }
        #expect(try await store.registryCount(.place) == 0)
        #expect(try await store.latestImportBatchID(.places) == nil)
        // The text \u0000 typed as such is no NUL.
        _ = try await store.writeRegistry(.place, feed: RegistryFeed([place("P3", "a\\u0000b")]),
                                          batch: ImportBatch(kind: "places", source: "t", actor: "t", importedAt: Date(), recordCount: 0), basedOnBatch: nil)
        #expect(try await store.registryEntries(.place, keys: ["P3"]).first?.fields["name"] == "a\\u0000b")
        #expect(try await store.addressCensus().first?.places == 1)
    }
}
