import Foundation
import Governance
@testable import PostgresStore
import PostgresNIO
import Testing

@Suite("PostgresStore: unreadable rows")
struct PostgresUnreadableRowTests {
    @Test("a row no reader can make sense of is left out and named; every other row is read")
    func unreadableRowsAreLeftOut() async throws {
        let store = try await TestServer.freshStore()
        let audit = AuditRecord(actor: "t", action: "test", target: "x")
        try await store.saveCalendarDay(CalendarDay(day: CivilDay(iso: "2027-01-01")!, kind: .holiday, name: "元旦"), audit: audit)
        try await store.saveDepartment(Department(code: "fire-rescue", name: "消防"), audit: audit)
        for sql in [
            "INSERT INTO calendar_day (day, kind, name) VALUES ('361-01-01', 'holiday', '古代'), ('2027-2-2', 'workday', '?')",
            "INSERT INTO case_class (code, body) VALUES ('E0999', 'not json')",
            "INSERT INTO department (code, name, territory, active) VALUES ('broken', '坏', 'no-region', true)",
            "INSERT INTO dispatch_route (class_pattern, territory, department) VALUES ('*', 'nowhere', 'fire-rescue')",
        ] {
            _ = try await store.client.query(PostgresQuery(unsafeSQL: sql), logger: store.logger).collect()
        }
        #expect(try await store.storedCalendarDays().map(\.day.description) == ["2027-01-01"])
        #expect(try await store.departments().map(\.code) == ["fire-rescue"])
        #expect(try await store.storedCaseClasses().isEmpty)
        #expect(try await store.dispatchRoutes().isEmpty)
        #expect(Set(store.unreadableRows.all.map { "\($0.table) \($0.key)" })
                == ["calendar_day 361-01-01", "calendar_day 2027-2-2", "case_class E0999", "department broken", "dispatch_route *@nowhere"])
    }
}

@Suite("PostgresStore: the audit trail cannot be truncated")
struct PostgresAuditTruncateTests {
    @Test("TRUNCATE of the audit trail or its checkpoints is refused, as are updates and deletes")
    func noTruncate() async throws {
        let store = try await TestServer.freshStore()
        _ = try await store.appendAudit([AuditRecord(actor: "t", action: "test", target: "x")])
        try await store.saveAuditCheckpoint(AuditCheckpointKey.generate().sign(sequence: 1, hash: String(repeating: "0", count: 64), time: Date()))
        for sql in ["TRUNCATE audit_entry", "TRUNCATE audit_checkpoint", "DELETE FROM audit_entry", "UPDATE audit_checkpoint SET hash = 'x'"] {
            await #expect(throws: (any Error).self, "\(sql)") { _ = try await store.client.query(PostgresQuery(unsafeSQL: sql), logger: store.logger).collect() }
        }
        #expect(try await store.auditEntries(from: 1, limit: 10).count == 1)
        #expect(try await store.auditCheckpoints().count == 1)
    }
}
