import Foundation
import Governance
import SQLiteStore
import StoreTestSupport
import Testing

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    /// A fresh database file per test, in a temporary folder: the real thing, WAL included.
    static let factory: StoreBehaviour.Factory = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await store.migrate()
        return store
    }

    @Test("shared store behaviour", arguments: StoreBehaviour.all.map(\.name))
    func behaviour(name: String) async throws {
        let check = StoreBehaviour.all.first { $0.name == name }!.check
        try await check(Self.factory)
    }

    @Test("a bulk registry load leaves the secondary indexes in place")
    func indexesAfterBulkLoad() async throws {
        let store = try await Self.factory() as! SQLiteStore
        try await StoreBehaviour.largeRegistryBatch { store }
        let names = try await store.indexNames(on: "registry_entry")
        #expect(Set(["registry_entry_address", "registry_entry_category", "registry_entry_review"]).isSubset(of: Set(names)))
    }

    @Test("data survives closing and reopening the file")
    func reopen() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("store.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try await store.migrate()
            try await store.setSetting("k", "v")
        }
        let again = try SQLiteStore(path: path)
        try await again.migrate()
        #expect(try await again.setting("k") == "v")
    }
}
