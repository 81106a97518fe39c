import Foundation
import GRDB
import Governance
@testable import SQLiteStore
import StoreTestSupport
import Synchronization
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

    @Test("a bulk registry load leaves the key and secondary indexes in place")
    func indexesAfterBulkLoad() async throws {
        let store = try await Self.factory() as! SQLiteStore
        try await StoreBehaviour.largeRegistryBatch { store }
        let names = try await store.indexNames(on: "registry_entry")
        #expect(Set(names) == ["registry_entry_key", "registry_entry_address", "registry_entry_category", "registry_entry_review", "registry_house_owner"])
    }

    @Test("an erasure finds a person's houses through the owner index, not a scan")
    func houseOwnerIndex() async throws {
        let store = try await Self.factory() as! SQLiteStore
        let plan = try await store.database.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT key FROM registry_entry WHERE kind = 'house' AND json_extract(fields, '$.owner_id_number') = ?
                """, arguments: ["enc:1:x"]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("registry_house_owner") }, "\(plan)")
        let owned = RegistryEntry(kind: .house, key: "H1", addressCode: "A1", gridCode: nil, fields: ["house_code": "H1", "owner_id_number": "enc:1:abc"],
                                  fieldSources: [:], source: "住建", importBatch: nil, updatedAt: Date())
        _ = try await store.writeRegistry(.house, feed: RegistryFeed([RegistryRow(line: 2, entry: owned)]),
                                          batch: ImportBatch(kind: "houses", source: "住建", actor: "test", importedAt: Date(), recordCount: 0), basedOnBatch: nil)
        #expect(try await store.houses(ownedBy: "enc:1:abc").map(\.key) == ["H1"])
        #expect(try await store.houses(ownedBy: "enc:1:other").isEmpty)
    }

    struct Broken: Error {}

    @Test("imports enter the audit trail in their own transaction; the trail refuses changes; changes made around it are found")
    func auditTrail() async throws {
        let store = try await Self.factory() as! SQLiteStore
        let feed = RegistryFeed([RegistryRow(line: 2, entry: RegistryEntry(kind: .place, key: "P1", addressCode: "A1", gridCode: nil, fields: ["name": "加油站", "kind": "加油站"],
                                                                           fieldSources: [:], source: "应急", importBatch: nil, updatedAt: Date()))])
        let written = try await store.writeRegistry(.place, feed: feed, batch: ImportBatch(kind: "places", source: "应急 (p.csv)", actor: "cli:tester", importedAt: Date(), recordCount: 0), basedOnBatch: nil)
        let appended = try await store.appendAudit([AuditRecord(actor: "auditor", action: "read.person", target: "person:1", purpose: "核查", requestID: "req-1")])
        let entries = try await store.auditEntries(from: 1, limit: 10)
        #expect(entries.count == 2 && entries == [entries[0], appended[0]])
        #expect(entries[0].record.action == "import.places" && entries[0].record.target == "batch:\(written.batch!.id!)" && entries[0].record.actor == "cli:tester")
        #expect(AuditChain.verify(entries).isEmpty)
        // A refused import leaves no entry.
        let failing = RegistryFeed()
        failing.finish(throwing: Broken())
        await #expect(throws: Broken.self) {
            _ = try await store.writeRegistry(.place, feed: failing, batch: ImportBatch(kind: "places", source: "x", actor: "t", importedAt: Date(), recordCount: 0), basedOnBatch: written.batch?.id)
        }
        #expect(try await store.auditEntries(from: 1, limit: 10).count == 2)
        await #expect(throws: (any Error).self) { try await store.execute("UPDATE audit_entry SET actor = 'x' WHERE sequence = 1") }
        await #expect(throws: (any Error).self) { try await store.execute("DELETE FROM audit_entry WHERE sequence = 1") }
        // Someone with the file drops the guard and edits: the chain shows where.
        try await store.execute("DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET purpose = '其他' WHERE sequence = 2")
        #expect(AuditChain.verify(try await store.auditEntries(from: 1, limit: 10)) == [.modified(sequence: 2)])
    }

    @Test("a first load that fails leaves the indexes it dropped in place")
    func indexesAfterFailedBulkLoad() async throws {
        let store = try await Self.factory() as! SQLiteStore
        let feed = RegistryFeed()
        feed.send([RegistryRow(line: 2, entry: RegistryEntry(kind: .place, key: "P1", addressCode: "A1", gridCode: nil, fields: ["name": "加油站", "kind": "加油站"],
                                                             fieldSources: [:], source: "应急", importBatch: nil, updatedAt: Date()))])
        feed.finish(throwing: Broken())
        await #expect(throws: Broken.self) {
            _ = try await store.writeRegistry(.place, feed: feed, batch: ImportBatch(kind: "places", source: "p.csv", actor: "t", importedAt: Date(), recordCount: 0), basedOnBatch: nil)
        }
        #expect(Set(try await store.indexNames(on: "registry_entry")) == ["registry_entry_key", "registry_entry_address", "registry_entry_category", "registry_entry_review", "registry_house_owner"])
        #expect(try await store.registryCount(.place) == 0)
    }

    @Test("registry records written before migration 0005 survive it, key uniqueness included")
    func registryMigration() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("citybrain-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("old.sqlite").path)
        try store.migrate(upTo: "0004 administrator-defined layers")
        try await store.execute("""
            INSERT INTO import_batch (id, kind, source, actor, imported_at, record_count) VALUES (1, 'people', '公安', 't', '2026-01-01 00:00:00.000', 1);
            INSERT INTO registry_entry (kind, key, address_code, category, tags, fields, field_sources, source, import_batch, updated_at, needs_review)
            VALUES ('person', '11010519491231002X', 'A1', 'registered', '低保', '{"name":"王五","id_number":"11010519491231002X","tags":"低保"}', '{}', '公安', 1,
                    '2026-01-01 00:00:00.000', 1);
            """)
        try await store.migrate()
        let e = try #require(try await store.registryEntries(.person, keys: ["11010519491231002X"]).first)
        #expect(e.fields["name"] == "王五" && e.fields["sex"] == "female" && e.tags == ["低保"] && e.needsReview && e.importBatch == 1)
        await #expect(throws: (any Error).self) {
            try await store.execute("""
                INSERT INTO registry_entry (kind, key, address_code, fields, field_sources, source, updated_at)
                VALUES ('person', '11010519491231002X', 'A2', '{}', '{}', 'x', '2026-01-02 00:00:00.000')
                """)
        }
        await #expect(throws: (any Error).self) {
            try await store.execute("INSERT INTO registry_entry (kind, key, address_code, fields, field_sources, source, updated_at) VALUES ('alien', 'k', 'A', '{}', '{}', 'x', 'now')")
        }
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

@Suite("SQLiteStore: unreadable rows")
struct SQLiteUnreadableRowTests {
    @Test("a row no reader can make sense of is left out and named; every other row is read")
    func unreadableRowsAreLeftOut() async throws {
        let store = try await SQLiteStoreTests.factory() as! SQLiteStore
        let audit = AuditRecord(actor: "t", action: "test", target: "x")
        try await store.saveCalendarDay(CalendarDay(day: CivilDay(iso: "2027-01-01")!, kind: .holiday, name: "元旦"), audit: audit)
        try await store.saveDepartment(Department(code: "fire-rescue", name: "消防"), audit: audit)
        // As an older version, a hand edit or a since-closed hole in validation left them.
        try await store.database.write { db in
            try db.execute(sql: "INSERT INTO calendar_day (day, kind, name) VALUES ('361-01-01', 'holiday', '古代'), ('2027-2-2', 'workday', '?')")
            try db.execute(sql: "INSERT INTO case_class (code, body) VALUES ('E0999', 'not json')")
            try db.execute(sql: "INSERT INTO department (code, name, territory, active) VALUES ('broken', '坏', 'no-region', 1)")
            try db.execute(sql: "INSERT INTO dispatch_route (class_pattern, territory, department) VALUES ('*', 'nowhere', 'fire-rescue')")
        }
        #expect(try await store.storedCalendarDays().map(\.day.description) == ["2027-01-01"])
        #expect(try await store.departments().map(\.code) == ["fire-rescue"])
        #expect(try await store.storedCaseClasses().isEmpty)
        #expect(try await store.dispatchRoutes().isEmpty)
        #expect(Set(store.unreadableRows.all.map { "\($0.table) \($0.key)" })
                == ["calendar_day 361-01-01", "calendar_day 2027-2-2", "case_class E0999", "department broken", "dispatch_route *@nowhere"])
        // Repaired, and read again: no longer reported.
        try await store.database.write { db in try db.execute(sql: "DELETE FROM calendar_day WHERE day = '361-01-01' OR day = '2027-2-2'") }
        _ = try await store.storedCalendarDays()
        #expect(!store.unreadableRows.all.contains { $0.table == "calendar_day" })
    }
}

@Suite("SQLiteStore: the write-ahead log stays bounded")
struct SQLiteWALTests {
    @Test("after a bulk load a checkpoint empties the WAL, and the file is cut back to the limit while serving")
    func walIsBounded() async throws {
        let store = try await SQLiteStoreTests.factory() as! SQLiteStore
        try await StoreBehaviour.largeRegistryBatch { store }
        let wal = store.path + "-wal"
        let before = (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? NSNumber)?.int64Value ?? 0
        #expect(before > 0, "the bulk load went through the WAL")
        #expect(try await store.checkpoint() == 0)
        let limit = try await store.database.read { db in try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") }
        #expect(limit == SQLiteStore.walSizeLimit)
        #expect(try await store.registryCount(.house) >= 60_000, "everything is still there")
    }
}

@Suite("SQLiteStore: statement timings")
struct SQLiteTimingTests {
    @Test("once observed, every statement's time is reported with its kind; before that nothing is")
    func timings() async throws {
        let store = try await SQLiteStoreTests.factory() as! SQLiteStore
        let seen = Mutex<[String]>([])
        _ = try await store.appendAudit([AuditRecord(actor: "t", action: "before", target: "x")])
        #expect(!store.timings.isObserved)
        store.timings.observe { kind, seconds in
            #expect(seconds >= 0)
            seen.withLock { $0.append(kind) }
        }
        _ = try await store.appendAudit([AuditRecord(actor: "t", action: "after", target: "x")])
        _ = try await store.auditEntries(from: 1, limit: 10)
        let kinds = seen.withLock { $0 }
        #expect(kinds.contains("insert") && kinds.contains("select"), "\(kinds)")
        #expect(StoreTimings.kind(ofSQL: "  WITH x AS (SELECT 1) SELECT * FROM x") == "select")
        // Millions of statements go through one observer: recording must not grow anything (a
        // closure kept in the Mutex itself was wrapped once more per call, and releasing the chain
        // of 300,000 wrappers overflowed the stack).
        let timings = StoreTimings()
        let count = Mutex(0)
        timings.observe { _, _ in count.withLock { $0 += 1 } }
        for _ in 0..<300_000 { timings.record("select", seconds: 0) }
        timings.observe { _, _ in }
        #expect(count.withLock { $0 } == 300_000)
        #expect(StoreTimings.kind(ofSQL: "PRAGMA journal_size_limit") == "other")
    }
}
