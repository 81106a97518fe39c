import Foundation
import GeoKit
import GRDB
import Governance

extension SQLiteStore {
    // MARK: dictionaries

    public func storedCaseClasses() async throws -> [CaseClass] {
        let rows = try await database.read { db in try Row.fetchAll(db, sql: "SELECT code, body FROM case_class ORDER BY code").map { ($0[0] as String, $0[1] as String) } }
        return unreadableRows.decode("case_class", rows, key: \.0) { try CaseCoding.decoder.decode(CaseClass.self, from: Data($0.1.utf8)) }
    }

    public func saveCaseClass(_ caseClass: CaseClass, audit: AuditRecord) async throws {
        let body = String(decoding: try CaseCoding.encoder.encode(caseClass), as: UTF8.self)
        try await database.write { db in
            try db.execute(sql: "INSERT INTO case_class (code, body) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET body = excluded.body",
                           arguments: [caseClass.code.rawValue, body])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func storedCalendarDays() async throws -> [CalendarDay] {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT day, kind, name FROM calendar_day ORDER BY day").map { ($0[0] as String, $0[1] as String, $0[2] as String) }
        }
        return unreadableRows.decode("calendar_day", rows, key: \.0) { try CalendarDay.stored(day: $0.0, kind: $0.1, name: $0.2) }
    }

    public func saveCalendarDay(_ day: CalendarDay, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO calendar_day (day, kind, name) VALUES (?, ?, ?) ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                           arguments: [day.day.description, day.kind.rawValue, day.name])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func departments() async throws -> [Department] {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name, territory, active FROM department ORDER BY code").map {
                ($0[0] as String, $0[1] as String, $0[2] as String?, $0[3] as Bool)
            }
        }
        return unreadableRows.decode("department", rows, key: \.0) { Department(code: $0.0, name: $0.1, territory: try $0.2.map { try RegionCode($0) }, active: $0.3) }
    }

    public func saveDepartment(_ department: Department, audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO department (code, name, territory, active) VALUES (?, ?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, territory = excluded.territory, active = excluded.active
                """, arguments: [department.code, department.name, department.territory?.rawValue, department.active])
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    public func dispatchRoutes() async throws -> [DispatchRoute] {
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT class_pattern, territory, department FROM dispatch_route ORDER BY territory, class_pattern").map {
                ($0[0] as String, $0[1] as String, $0[2] as String)
            }
        }
        return unreadableRows.decode("dispatch_route", rows, key: { $0.0 + "@" + $0.1 }) {
            DispatchRoute(classPattern: $0.0, territory: try RegionCode($0.1), department: $0.2)
        }
    }

    public func saveDispatchRoutes(_ routes: [DispatchRoute], audit: AuditRecord) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM dispatch_route")
            let insert = try db.cachedStatement(sql: "INSERT INTO dispatch_route (class_pattern, territory, department) VALUES (?, ?, ?)")
            for r in routes { try insert.execute(arguments: [r.classPattern, r.territory.rawValue, r.department]) }
            _ = try Self.appendAudit([audit], in: db)
        }
    }

    // MARK: cases

    public func createCase(_ draft: Case, numberPrefix: String, event: CaseEvent, idempotencyKey: String?, audit: AuditRecord) async throws -> (case: Case, created: Bool) {
        try await database.write { db in
            if let key = idempotencyKey,
               let body = try String.fetchOne(db, sql: "SELECT body FROM case_record WHERE reporter = ? AND idempotency_key = ?", arguments: [draft.reporterKey, key]) {
                return (try Self.decodeCase(body), false)
            }
            let serial = try Int.fetchOne(db, sql: """
                INSERT INTO case_number (prefix, last_serial) VALUES (?, 1)
                ON CONFLICT(prefix) DO UPDATE SET last_serial = last_serial + 1 RETURNING last_serial
                """, arguments: [numberPrefix]) ?? 1
            var stored = draft
            stored.number = numberPrefix + "-" + String(repeating: "0", count: max(0, 6 - String(serial).count)) + String(serial)
            // The writer is alone in its transaction: the next id is known before the insert, so the
            // row is written once, its body holding its id.
            stored.id = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM case_record") ?? 0) + 1
            try Self.insertCase(stored, idempotencyKey: idempotencyKey, in: db)
            try Self.applyKPI(CaseKPI.deltas(from: nil, to: stored), in: db)
            try Self.insertEvent(event, caseID: stored.id!, in: db)
            var audit = audit
            audit.target = "case:" + stored.number
            _ = try Self.appendAudit([audit], in: db)
            return (stored, true)
        }
    }

    public func updateCases(_ changes: [CaseChange], audit: [AuditRecord]) async throws {
        try await database.write { db in
            let update = try db.cachedStatement(sql: """
                UPDATE case_record SET status = ?, class_code = ?, grid_code = ?, department = ?, running_due_at = ?, warn_at = ?, next_alert_at = ?,
                  handle_due_at = ?, close_due_at = ?, contact = ?, version = ?, body = ?
                WHERE id = ? AND version = ?
                """)
            for change in changes {
                let c = change.updated
                guard let id = c.id else { throw StoreConflict("case \(c.number) has no id: it was never stored") }
                try update.execute(arguments: [c.status.rawValue, c.classCode?.rawValue, c.gridCode.rawValue, c.department,
                                               c.runningDue.map(Self.milliseconds), c.warnAt.map(Self.milliseconds), c.nextAlertAt.map(Self.milliseconds),
                                               c.due[.handle].map(Self.milliseconds), c.closeDueAt.map(Self.milliseconds), c.reporterContact, c.version,
                                               try Self.encodeCase(c), id, change.expectedVersion])
                if db.changesCount != 1 {
                    let current = try Int.fetchOne(db, sql: "SELECT version FROM case_record WHERE id = ?", arguments: [id]) ?? 0
                    throw CaseVersionConflict(number: c.number, expected: change.expectedVersion, current: current)
                }
                try db.execute(sql: "DELETE FROM case_assist WHERE case_id = ?", arguments: [id])
                for task in c.tasks {
                    try db.execute(sql: "INSERT INTO case_assist (department, case_id) VALUES (?, ?)", arguments: [task.department, id])
                }
                try Self.insertEvent(change.event, caseID: id, in: db)
                try Self.applyKPI(CaseKPI.deltas(from: change.previous, to: c), in: db)
            }
            _ = try Self.appendAudit(audit, in: db)
        }
    }

    public func storedCase(number: String) async throws -> Case? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM case_record WHERE number = ?", arguments: [number]).map(Self.decodeCase)
        }
    }

    public func storedCase(trackingHash: String) async throws -> Case? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM case_record WHERE tracking_hash = ?", arguments: [trackingHash]).map(Self.decodeCase)
        }
    }

    private static func conditions(_ q: CaseQuery) -> (String, [DatabaseValue]) {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if !q.statuses.isEmpty {
            // The status index pays only for open cases, a small share; finished ones are most of the
            // table, so with them ("+" hides the column from the planner) time or class indexes lead.
            let column = q.statuses.allSatisfy(\.isOpen) ? "status" : "+status"
            conditions.append(column + " IN (" + q.statuses.map { _ in "?" }.joined(separator: ", ") + ")")
            arguments += q.statuses.map(\.rawValue.databaseValue)
        }
        if let prefix = q.classPrefix {
            // A minor class by equality, so that (class_code, reported_at) serves a period too.
            if prefix.count == 5 {
                conditions.append("class_code = ?")
                arguments.append(prefix.databaseValue)
            } else {
                conditions.append("class_code >= ? AND class_code < ?")
                arguments += [prefix.databaseValue, (prefix + ":").databaseValue]
            }
        }
        if let territory = q.territory {
            // Codes nest by prefix; digits sort below ':'.
            conditions.append("grid_code >= ? AND grid_code < ?")
            arguments += [territory.shortForm.databaseValue, (territory.shortForm + ":").databaseValue]
        }
        if let department = q.department {
            conditions.append("(department = ? OR id IN (SELECT case_id FROM case_assist WHERE department = ?))")
            arguments += [department.databaseValue, department.databaseValue]
        }
        if let source = q.source { conditions.append("source = ?"); arguments.append(source.rawValue.databaseValue) }
        if let account = q.reporterAccount { conditions.append("reporter = ?"); arguments.append(Case.reporterKey(account: account).databaseValue) }
        if let at = q.overdueAt { conditions.append("running_due_at < ?"); arguments.append(milliseconds(at).databaseValue) }
        if let at = q.warnedAt {
            conditions.append("running_due_at IS NOT NULL AND warn_at <= ?")
            arguments.append(milliseconds(at).databaseValue)
        }
        if let from = q.from { conditions.append("reported_at >= ?"); arguments.append(milliseconds(from).databaseValue) }
        if let to = q.to { conditions.append("reported_at < ?"); arguments.append(milliseconds(to).databaseValue) }
        if let before = q.before, !q.byDeadline { conditions.append("id < ?"); arguments.append(before.databaseValue) }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    public func cases(_ query: CaseQuery) async throws -> [Case] {
        let (whereClause, arguments) = Self.conditions(query)
        let bound = StatementArguments(arguments + [query.limit.databaseValue])
        return try await database.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM case_record" + whereClause + (query.byDeadline ? " ORDER BY running_due_at, id" : " ORDER BY id DESC")
                                + " LIMIT ?", arguments: bound).map(Self.decodeCase)
        }
    }

    public func caseCount(_ query: CaseQuery) async throws -> Int {
        let (whereClause, arguments) = Self.conditions(query)
        let bound = StatementArguments(arguments)
        return try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM case_record" + whereClause, arguments: bound) ?? 0 }
    }

    public func casePoints(_ query: CaseQuery, within box: BoundingBox?) async throws -> [CasePoint] {
        var (whereClause, arguments) = Self.conditions(query)
        if let box {
            whereClause += (whereClause.isEmpty ? " WHERE " : " AND ") + "longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?"
            arguments += [box.minLongitude, box.maxLongitude, box.minLatitude, box.maxLatitude].map(\.databaseValue)
        }
        let bound = StatementArguments(arguments + [query.limit.databaseValue])
        let sql = "SELECT number, status, class_code, grid_code, longitude, latitude, running_due_at FROM case_record" + whereClause
        return try await database.read { db in
            try Row.fetchAll(db, sql: sql
                             + (query.byDeadline ? " ORDER BY running_due_at, id" : " ORDER BY id DESC") + " LIMIT ?", arguments: bound).map { row in
                let status: String = row[1]
                guard let s = CaseStatus(rawValue: status) else { throw DatabaseError(message: "case_record holds an unknown status: \(status)") }
                let due: Int64? = row[6]
                return CasePoint(number: row[0], status: s, classCode: row[2], gridCode: row[3], location: Coordinate(longitude: row[4], latitude: row[5]),
                                 runningDue: due.map(Self.date))
            }
        }
    }

    public func caseBreakdown(_ query: CaseQuery, by dimension: CaseBreakdown) async throws -> [String: Int] {
        let (whereClause, arguments) = Self.conditions(query)
        let column = dimension == .classCode ? "coalesce(class_code, '')" : "source"
        let bound = StatementArguments(arguments)
        return try await database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT \(column), count(*) FROM case_record" + whereClause + " GROUP BY 1", arguments: bound) {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    public func caseTally(_ query: CaseQuery, classes: [String], by group: CaseTallyGroup) async throws -> [String: CaseTally] {
        var (whereClause, arguments) = Self.conditions(query)
        if !classes.isEmpty {
            let terms = classes.map { $0.count == 5 ? "class_code = ?" : "(class_code >= ? AND class_code < ?)" }
            whereClause += (whereClause.isEmpty ? " WHERE " : " AND ") + "(" + terms.joined(separator: " OR ") + ")"
            for c in classes { arguments += c.count == 5 ? [c.databaseValue] : [c.databaseValue, (c + ":").databaseValue] }
        }
        let key = switch group {
        case .none: "''"
        // Local months: UTC+8, as case numbers and the read model count days.
        case .month: "strftime('%Y-%m', reported_at / 1000 + 28800, 'unixepoch')"
        case .regionPrefix(let length): "substr(grid_code, 1, \(length))"
        }
        let sql = "SELECT \(key), count(*), coalesce(sum(status IN ('closed', 'evaluated')), 0) FROM case_record" + whereClause + " GROUP BY 1"
        let bound = StatementArguments(arguments)
        return try await database.read { db in
            var tally: [String: CaseTally] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: bound) { tally[row[0]] = CaseTally(reported: row[1], closed: row[2]) }
            return tally
        }
    }

    public func caseEvents(number: String) async throws -> [CaseEvent] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.* FROM case_event e JOIN case_record c ON c.id = e.case_id WHERE c.number = ? ORDER BY e.sequence
                """, arguments: [number]).map { row in
                let action: String = row["action"]
                let status: String = row["status"]
                guard let a = CaseAction(rawValue: action), let s = CaseStatus(rawValue: status) else {
                    throw DatabaseError(message: "case_event holds an unknown action or status: \(action) \(status)")
                }
                let attachments: String = row["attachments"]
                let details: String = row["details"]
                return CaseEvent(sequence: row["sequence"], action: a, actor: row["actor"], time: Self.date(row["time"]), note: row["note"],
                                 attachments: try JSONDecoder().decode([String].self, from: Data(attachments.utf8)),
                                 details: try JSONDecoder().decode([String: String].self, from: Data(details.utf8)), status: s)
            }
        }
    }

    public func openCases(classCode: CaseClassCode, within box: BoundingBox, reportedSince since: Date) async throws -> [(number: String, location: Coordinate)] {
        let open = CaseStatus.allCases.filter(\.isOpen).map(\.rawValue)
        let marks = open.map { _ in "?" }.joined(separator: ", ")
        let arguments = StatementArguments([classCode.rawValue.databaseValue, Self.milliseconds(since).databaseValue]
            + open.map(\.databaseValue)
            + [box.minLongitude, box.maxLongitude, box.minLatitude, box.maxLatitude].map(\.databaseValue))
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT number, longitude, latitude FROM case_record WHERE class_code = ? AND reported_at >= ? AND status IN (\(marks))
                  AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ? ORDER BY id
                """, arguments: arguments).map { (number: $0[0], location: Coordinate(longitude: $0[1], latitude: $0[2])) }
        }
    }

    static func insertCase(_ c: Case, idempotencyKey: String?, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO case_record (id, number, status, class_code, grid_code, department, source, reporter, reported_at, running_due_at, warn_at,
              next_alert_at, handle_due_at, close_due_at, longitude, latitude, tracking_hash, contact, idempotency_key, version, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [c.id, c.number, c.status.rawValue, c.classCode?.rawValue, c.gridCode.rawValue, c.department, c.source.rawValue, c.reporterKey,
                                     milliseconds(c.reportedAt), c.runningDue.map(milliseconds), c.warnAt.map(milliseconds), c.nextAlertAt.map(milliseconds),
                                     c.due[.handle].map(milliseconds), c.closeDueAt.map(milliseconds), c.location.longitude, c.location.latitude,
                                     c.trackingHash, c.reporterContact, idempotencyKey, c.version, try encodeCase(c)])
    }

    static func insertEvent(_ event: CaseEvent, caseID: Int64, in db: Database) throws {
        let attachments = String(decoding: try JSONEncoder().encode(event.attachments), as: UTF8.self)
        let details = String(decoding: try CaseCoding.encoder.encode(event.details), as: UTF8.self)
        try db.cachedStatement(sql: """
            INSERT INTO case_event (case_id, sequence, action, actor, time, status, note, attachments, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [caseID, event.sequence, event.action.rawValue, event.actor, milliseconds(event.time), event.status.rawValue,
                                     event.note, attachments, details])
        for hash in event.attachments {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO case_attachment (hash, case_id) VALUES (?, ?)").execute(arguments: [hash, caseID])
        }
    }

    // MARK: KPI read model

    /// Column names in the order of ``KPICounters/fieldNames``.
    static let kpiColumns = ["reported", "decided", "decided_on_time", "dispatched", "dispatched_accurate", "handle_due", "handled_on_time", "close_due",
                             "closed", "closed_on_time", "reworked", "extended", "handled", "handling_seconds", "evaluated", "satisfied", "satisfaction_sum"]

    static func applyKPI(_ deltas: [KPIDelta], in db: Database) throws {
        guard !deltas.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "INSERT INTO case_kpi_day (scope, day, " + kpiColumns.joined(separator: ", ") + ") VALUES (?, ?, "
            + kpiColumns.map { _ in "?" }.joined(separator: ", ") + ") ON CONFLICT(scope, day) DO UPDATE SET "
            + kpiColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
        for d in deltas {
            try statement.execute(arguments: StatementArguments([d.scope.databaseValue, d.day.daysSinceEpoch.databaseValue] + d.counters.values.map(\.databaseValue)))
        }
    }

    public func kpiCounters(scopes: [String], from: CivilDay, to: CivilDay) async throws -> KPICounters {
        guard !scopes.isEmpty else { return KPICounters() }
        let sql = "SELECT " + Self.kpiColumns.map { "coalesce(sum(\($0)), 0)" }.joined(separator: ", ") + " FROM case_kpi_day WHERE scope IN ("
            + scopes.map { _ in "?" }.joined(separator: ", ") + ") AND day >= ? AND day < ?"
        let arguments = StatementArguments(scopes.map(\.databaseValue) + [from.daysSinceEpoch.databaseValue, to.daysSinceEpoch.databaseValue])
        return try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: sql, arguments: arguments) else { return KPICounters() }
            return KPICounters(values: (0..<Self.kpiColumns.count).map { row[$0] as Int })
        }
    }

    public func kpiNotYetDue(_ scope: KPIScope, from: Date, to: Date, now: Date) async throws -> KPICounters {
        guard to > now else { return KPICounters() }
        let start = Self.milliseconds(max(from, now)), end = Self.milliseconds(to)
        let condition: String
        let arguments: [DatabaseValue]
        switch scope {
        case .region(let r):
            condition = "grid_code >= ? AND grid_code < ?"
            arguments = [r.shortForm.databaseValue, (r.shortForm + ":").databaseValue]
        case .department(let d):
            condition = "department = ?"
            arguments = [d.databaseValue]
        case .grids(let grids):
            guard !grids.isEmpty else { return KPICounters() }
            condition = "grid_code IN (" + grids.map { _ in "?" }.joined(separator: ", ") + ")"
            arguments = grids.map(\.rawValue.databaseValue)
        }
        let bound = StatementArguments(arguments + [start.databaseValue, end.databaseValue])
        return try await database.read { db in
            var k = KPICounters()
            k.handleDue = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM case_record WHERE \(condition) AND handle_due_at > ? AND handle_due_at < ?
                  AND +status IN ('dispatched', 'handling', 'suspended')
                """, arguments: bound) ?? 0
            if let row = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(sum(json_extract(body, '$.reworks') > 0), 0), coalesce(sum(json_extract(body, '$.extensions') > 0), 0)
                FROM case_record WHERE \(condition) AND close_due_at > ? AND close_due_at < ?
                  AND status NOT IN ('closed', 'evaluated', 'rejected', 'merged')
                """, arguments: bound) {
                k.closeDue = row[0]
                k.reworked = row[1]
                k.extended = row[2]
            }
            return k
        }
    }

    public func rebuildCaseKPIs() async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM case_kpi_day")
            var totals: [String: [CivilDay: KPICounters]] = [:]
            var count = 0
            let cursor = try String.fetchCursor(db, sql: "SELECT body FROM case_record")
            while let body = try cursor.next() {
                let c = try Self.decodeCase(body)
                let contributions = CaseKPI.contributions(of: c)
                for scope in CaseKPI.scopes(of: c) {
                    for (day, k) in contributions { totals[scope, default: [:]][day, default: KPICounters()] += k }
                }
                count += 1
            }
            try Self.applyKPI(totals.flatMap { scope, days in days.map { KPIDelta(scope: scope, day: $0.key, counters: $0.value) } }, in: db)
            return count
        }
    }

    public func casesNeedingSupervision(at time: Date, limit: Int) async throws -> [Case] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM case_record WHERE next_alert_at <= ? ORDER BY next_alert_at LIMIT ?",
                                arguments: [Self.milliseconds(time), limit]).map(Self.decodeCase)
        }
    }

    public func cases(withContact sealed: String) async throws -> [Case] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM case_record WHERE contact = ? ORDER BY id", arguments: [sealed]).map(Self.decodeCase)
        }
    }

    public func cases(withAttachment hash: String) async throws -> [Case] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT c.body FROM case_attachment a JOIN case_record c ON c.id = a.case_id WHERE a.hash = ? ORDER BY c.id",
                                arguments: [hash]).map(Self.decodeCase)
        }
    }

    static func encodeCase(_ c: Case) throws -> String { String(decoding: try CaseCoding.encoder.encode(c), as: UTF8.self) }
    static func decodeCase(_ body: String) throws -> Case { try CaseCoding.decoder.decode(Case.self, from: Data(body.utf8)) }
}

extension SQLiteStore {
    public func importCaseHistory(audit: AuditRecord, next: @escaping @Sendable () throws -> [(Case, [CaseEvent])]?) async throws -> Int {
        try await database.write { db in
            var nextID = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM case_record") ?? 0) + 1
            var totals: [String: [CivilDay: KPICounters]] = [:]
            var serials: [String: Int] = [:]
            var count = 0
            while let chunk = try next() {
                for (original, events) in chunk {
                    var c = original
                    c.id = nextID
                    nextID += 1
                    try Self.insertCase(c, idempotencyKey: nil, in: db)
                    for event in events { try Self.insertEvent(event, caseID: c.id!, in: db) }
                    for task in c.tasks {
                        try db.cachedStatement(sql: "INSERT INTO case_assist (department, case_id) VALUES (?, ?)").execute(arguments: [task.department, c.id])
                    }
                    let contributions = CaseKPI.contributions(of: c)
                    for scope in CaseKPI.scopes(of: c) {
                        for (day, k) in contributions { totals[scope, default: [:]][day, default: KPICounters()] += k }
                    }
                    if let dash = c.number.lastIndex(of: "-"), let serial = Int(c.number[c.number.index(after: dash)...]) {
                        let prefix = String(c.number[..<dash])
                        serials[prefix] = max(serials[prefix] ?? 0, serial)
                    }
                    count += 1
                }
            }
            try Self.applyKPI(totals.flatMap { scope, days in days.map { KPIDelta(scope: scope, day: $0.key, counters: $0.value) } }, in: db)
            let counter = try db.cachedStatement(sql: """
                INSERT INTO case_number (prefix, last_serial) VALUES (?, ?) ON CONFLICT(prefix) DO UPDATE SET last_serial = max(last_serial, excluded.last_serial)
                """)
            for (prefix, serial) in serials { try counter.execute(arguments: [prefix, serial]) }
            var audit = audit
            audit.target = "cases:\(count)"
            _ = try Self.appendAudit([audit], in: db)
            return count
        }
    }
}

extension SQLiteStore {
    public func rewriteCaseContacts(audit: AuditRecord, transform: @escaping @Sendable (String) throws -> String) async throws -> Int {
        try await database.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, body FROM case_record WHERE json_extract(body, '$.reporterContact') IS NOT NULL")
            for row in rows {
                var c = try Self.decodeCase(row["body"])
                guard let sealed = c.reporterContact else { continue }
                c.reporterContact = try transform(sealed)
                try db.execute(sql: "UPDATE case_record SET body = ?, contact = ? WHERE id = ?", arguments: [try Self.encodeCase(c), c.reporterContact, row["id"] as Int64])
            }
            _ = try Self.appendAudit([audit], in: db)
            return rows.count
        }
    }
}
