import Foundation
import GeoKit
import Governance
import Logging
import PostgresNIO

/// Cases on PostgreSQL, with SQLite's semantics (SQLiteStore+Cases.swift is the reference).
///
/// Across instances on one database:
/// - every write of cases (and of the loop's dictionaries) holds the audit chain's advisory lock
///   (``auditLock``) from its start to its commit, as it appends its audit record: case writes
///   serialise as SQLite's single writer serialises them, so an idempotency key is looked up and
///   stored by one writer at a time and a KPI rebuild sees a quiet table;
/// - numbers come from one upsert of the prefix's counter row (`… ON CONFLICT … RETURNING`), ids from
///   the table's sequence;
/// - a change is applied only to the version it was based on (`UPDATE … WHERE id = … AND version = …`);
///   any mismatch throws ``CaseVersionConflict`` and the transaction writes nothing.
extension PostgresStore: CaseStore {
    static func encodeCase(_ c: Case) throws -> String { String(decoding: try CaseCoding.encoder.encode(c), as: UTF8.self) }
    static func decodeCase(_ body: String) throws -> Case { try CaseCoding.decoder.decode(Case.self, from: Data(body.utf8)) }

    /// A stored row the store cannot read back (an unknown status, a malformed day …).
    struct UnreadableCaseRow: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: dictionaries

    public func storedCaseClasses() async throws -> [CaseClass] {
        var rows: [(String, String)] = []
        for try await row in try await client.query("SELECT code, body FROM case_class ORDER BY code", logger: logger).decode((String, String).self) { rows.append(row) }
        return unreadableRows.decode("case_class", rows, key: \.0) { try CaseCoding.decoder.decode(CaseClass.self, from: Data($0.1.utf8)) }
    }

    public func saveCaseClass(_ caseClass: CaseClass, audit: AuditRecord) async throws {
        let body = String(decoding: try CaseCoding.encoder.encode(caseClass), as: UTF8.self)
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO case_class (code, body) VALUES (\(caseClass.code.rawValue), \(body)) ON CONFLICT (code) DO UPDATE SET body = excluded.body
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func storedCalendarDays() async throws -> [CalendarDay] {
        var rows: [(String, String, String)] = []
        for try await row in try await client.query("SELECT day, kind, name FROM calendar_day ORDER BY day", logger: logger).decode((String, String, String).self) {
            rows.append(row)
        }
        return unreadableRows.decode("calendar_day", rows, key: \.0) { try CalendarDay.stored(day: $0.0, kind: $0.1, name: $0.2) }
    }

    public func saveCalendarDay(_ day: CalendarDay, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO calendar_day (day, kind, name) VALUES (\(day.day.description), \(day.kind.rawValue), \(day.name))
                ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func departments() async throws -> [Department] {
        var rows: [(String, String, String?, Bool)] = []
        for try await row in try await client.query("SELECT code, name, territory, active FROM department ORDER BY code",
                                                    logger: logger).decode((String, String, String?, Bool).self) { rows.append(row) }
        return unreadableRows.decode("department", rows, key: \.0) { Department(code: $0.0, name: $0.1, territory: try $0.2.map { try RegionCode($0) }, active: $0.3) }
    }

    public func saveDepartment(_ department: Department, audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("""
                INSERT INTO department (code, name, territory, active)
                VALUES (\(department.code), \(department.name), \(department.territory?.rawValue), \(department.active))
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, territory = excluded.territory, active = excluded.active
                """, logger: self.logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    public func dispatchRoutes() async throws -> [DispatchRoute] {
        var rows: [(String, String, String)] = []
        for try await row in try await client.query("""
            SELECT class_pattern, territory, department FROM dispatch_route ORDER BY territory, class_pattern
            """, logger: logger).decode((String, String, String).self) { rows.append(row) }
        return unreadableRows.decode("dispatch_route", rows, key: { $0.0 + "@" + $0.1 }) {
            DispatchRoute(classPattern: $0.0, territory: try RegionCode($0.1), department: $0.2)
        }
    }

    public func saveDispatchRoutes(_ routes: [DispatchRoute], audit: AuditRecord) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            try await connection.query("DELETE FROM dispatch_route", logger: self.logger)
            if !routes.isEmpty {
                let patterns = routes.map(\.classPattern), territories = routes.map(\.territory.rawValue), departments = routes.map(\.department)
                try await connection.query("""
                    INSERT INTO dispatch_route (class_pattern, territory, department)
                    SELECT * FROM unnest(\(patterns)::text[], \(territories)::text[], \(departments)::text[])
                    """, logger: self.logger)
            }
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
        }
    }

    // MARK: writing cases

    /// The columns of `case_record` a case fills, in the order of ``CopyRows/add(_:body:idempotencyKey:)`` (a history import's COPY).
    static let caseColumns = ["id", "number", "status", "class_code", "grid_code", "department", "source", "reporter", "reported_at", "running_due_at",
                              "warn_at", "next_alert_at", "handle_due_at", "close_due_at", "reworks", "extensions", "longitude", "latitude",
                              "tracking_hash", "contact", "idempotency_key", "version", "body"]

    public func createCase(_ draft: Case, numberPrefix: String, event: CaseEvent, idempotencyKey: String?, audit: AuditRecord) async throws -> (case: Case, created: Bool) {
        // The audit lock makes the look-up of the key and the insert one step across instances: a
        // concurrent retry waits, then finds the first case.
        try await transaction(locking: [Self.auditLock]) { connection in
            if let key = idempotencyKey {
                for try await body in try await connection.query("""
                    SELECT body FROM case_record WHERE reporter = \(draft.reporterKey) AND idempotency_key = \(key)
                    """, logger: self.logger).decode(String.self) {
                    return (try Self.decodeCase(body), false)
                }
            }
            var serial: Int?
            for try await value in try await connection.query("""
                INSERT INTO case_number (prefix, last_serial) VALUES (\(numberPrefix), 1)
                ON CONFLICT (prefix) DO UPDATE SET last_serial = case_number.last_serial + 1 RETURNING last_serial
                """, logger: self.logger).decode(Int.self) { serial = value }
            var stored = draft
            stored.number = numberPrefix + "-" + Self.serialText(serial ?? 1)
            stored.id = try await Self.reserveCaseIDs(1, on: connection, logger: self.logger).first
            guard let id = stored.id else { throw StoreConflict("no id could be taken for case \(stored.number)") }
            try await Self.insertCase(stored, idempotencyKey: idempotencyKey, on: connection, logger: self.logger)
            try await Self.insertEvent(event, caseID: id, on: connection, logger: self.logger)
            try await Self.applyKPI(CaseKPI.deltas(from: nil, to: stored), on: connection, logger: self.logger)
            var audit = audit
            audit.target = "case:" + stored.number
            _ = try await Self.appendAudit([audit], on: connection, logger: self.logger)
            return (stored, true)
        }
    }

    /// `000123`: six digits at least.
    static func serialText(_ serial: Int) -> String {
        let digits = String(serial)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// `count` new ids from the table's sequence, ascending (not necessarily consecutive when other
    /// instances take ids meanwhile). The sequence is outside transactions: an id taken by a write
    /// that fails is never given again.
    static func reserveCaseIDs(_ count: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(count)
        for try await id in try await connection.query("""
            SELECT nextval(pg_get_serial_sequence('case_record', 'id')) FROM generate_series(1, \(count)) ORDER BY 1
            """, logger: logger).decode(Int64.self) { ids.append(id) }
        guard ids.count == count else { throw StoreConflict("asked for \(count) case ids, got \(ids.count)") }
        return ids
    }

    static func insertCase(_ c: Case, idempotencyKey: String?, on connection: PostgresConnection, logger: Logger) async throws {
        let body = try encodeCase(c)
        try await connection.query("""
            INSERT INTO case_record (id, number, status, class_code, grid_code, department, source, reporter, reported_at, running_due_at, warn_at,
              next_alert_at, handle_due_at, close_due_at, reworks, extensions, longitude, latitude, tracking_hash, contact, idempotency_key, version, body)
            VALUES (\(c.id), \(c.number), \(c.status.rawValue), \(c.classCode?.rawValue), \(c.gridCode.rawValue), \(c.department), \(c.source.rawValue),
                    \(c.reporterKey), \(milliseconds(c.reportedAt)), \(c.runningDue.map(milliseconds)), \(c.warnAt.map(milliseconds)),
                    \(c.nextAlertAt.map(milliseconds)), \(c.due[.handle].map(milliseconds)), \(c.closeDueAt.map(milliseconds)), \(c.reworks), \(c.extensions),
                    \(c.location.longitude), \(c.location.latitude), \(c.trackingHash), \(c.reporterContact), \(idempotencyKey), \(c.version), \(body))
            """, logger: logger)
    }

    /// PostgreSQL's text cannot hold the character NUL. The case itself and the event's details are
    /// stored as JSON (where it is escaped); the note is a column of its own: a step whose note holds
    /// one is refused, as a request the caller can correct, rather than failing in the database.
    static func checkStorable(_ event: CaseEvent) throws {
        if let note = event.note, note.utf8.contains(0) {
            throw CaseRefused(field: "note", reason: "holds the character NUL, which PostgreSQL cannot store")
        }
    }

    static func insertEvent(_ event: CaseEvent, caseID: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try checkStorable(event)
        try await connection.query("""
            INSERT INTO case_event (case_id, sequence, action, actor, time, status, note, attachments, details)
            VALUES (\(caseID), \(event.sequence), \(event.action.rawValue), \(event.actor), \(milliseconds(event.time)), \(event.status.rawValue),
                    \(event.note), \(JSONWriter.array(event.attachments)), \(JSONWriter.object(event.details)))
            """, logger: logger)
        if !event.attachments.isEmpty {
            try await connection.query("""
                INSERT INTO case_attachment (hash, case_id) SELECT DISTINCT hash, \(caseID)::bigint FROM unnest(\(event.attachments)::text[]) AS hash
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    public func updateCases(_ changes: [CaseChange], audit: [AuditRecord]) async throws {
        try await transaction(locking: [Self.auditLock]) { connection in
            var deltas: [KPIDelta] = []
            for change in changes {
                let c = change.updated
                guard let id = c.id else { throw StoreConflict("case \(c.number) has no id: it was never stored") }
                let body = try Self.encodeCase(c)
                let updated = try await connection.query("""
                    UPDATE case_record SET status = \(c.status.rawValue), class_code = \(c.classCode?.rawValue), grid_code = \(c.gridCode.rawValue),
                      department = \(c.department), running_due_at = \(c.runningDue.map(Self.milliseconds)), warn_at = \(c.warnAt.map(Self.milliseconds)),
                      next_alert_at = \(c.nextAlertAt.map(Self.milliseconds)), handle_due_at = \(c.due[.handle].map(Self.milliseconds)),
                      close_due_at = \(c.closeDueAt.map(Self.milliseconds)), reworks = \(c.reworks), extensions = \(c.extensions),
                      contact = \(c.reporterContact), version = \(c.version), body = \(body)
                    WHERE id = \(id) AND version = \(change.expectedVersion) RETURNING id
                    """, logger: self.logger).collect()
                if updated.count != 1 {
                    var current = 0
                    for try await version in try await connection.query("SELECT version FROM case_record WHERE id = \(id)",
                                                                         logger: self.logger).decode(Int.self) { current = version }
                    throw CaseVersionConflict(number: c.number, expected: change.expectedVersion, current: current)
                }
                try await connection.query("DELETE FROM case_assist WHERE case_id = \(id)", logger: self.logger)
                if !c.tasks.isEmpty {
                    try await connection.query("""
                        INSERT INTO case_assist (department, case_id) SELECT department, \(id)::bigint FROM unnest(\(c.tasks.map(\.department))::text[]) AS department
                        ON CONFLICT DO NOTHING
                        """, logger: self.logger)
                }
                try await Self.insertEvent(change.event, caseID: id, on: connection, logger: self.logger)
                deltas += CaseKPI.deltas(from: change.previous, to: c)
            }
            try await Self.applyKPI(deltas, on: connection, logger: self.logger)
            _ = try await Self.appendAudit(audit, on: connection, logger: self.logger)
        }
    }

    // MARK: reading cases

    func caseBodies(_ query: PostgresQuery) async throws -> [Case] {
        var cases: [Case] = []
        for try await body in try await client.query(query, logger: logger).decode(String.self) { cases.append(try Self.decodeCase(body)) }
        return cases
    }

    public func storedCase(number: String) async throws -> Case? {
        try await caseBodies("SELECT body FROM case_record WHERE number = \(number)").first
    }

    public func storedCase(trackingHash: String) async throws -> Case? {
        try await caseBodies("SELECT body FROM case_record WHERE tracking_hash = \(trackingHash)").first
    }

    /// Conditions with their bindings, numbered as they are added.
    struct CaseSQL {
        var bindings = PostgresBindings()
        var conditions: [String] = []

        /// The placeholder (`$3`) of a new binding.
        mutating func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
            try bindings.append(value)
            return "$\(bindings.count)"
        }

        var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }

        /// Inside the box, edges included: the GiST index narrows by the envelope, the exact
        /// comparisons decide (the index keeps boxes in single precision).
        mutating func within(_ box: BoundingBox) throws {
            let (w, s, e, n) = (try bind(box.minLongitude), try bind(box.minLatitude), try bind(box.maxLongitude), try bind(box.maxLatitude))
            conditions.append("position && ST_MakeEnvelope(\(w), \(s), \(e), \(n), 4326) AND longitude BETWEEN \(w) AND \(e) AND latitude BETWEEN \(s) AND \(n)")
        }

        func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
    }

    /// The conditions of ``CaseQuery``, as SQLite's store reads them.
    static func conditions(_ q: CaseQuery) throws -> CaseSQL {
        var sql = CaseSQL()
        if !q.statuses.isEmpty { sql.conditions.append("status = ANY(\(try sql.bind(q.statuses.map(\.rawValue)))::text[])") }
        if let prefix = q.classPrefix {
            // A minor class by equality, so that (class_code, reported_at) serves a period too.
            if prefix.count == 5 {
                sql.conditions.append("class_code = " + (try sql.bind(prefix)))
            } else {
                sql.conditions.append("class_code >= \(try sql.bind(prefix)) AND class_code < \(try sql.bind(prefix + ":"))")
            }
        }
        if let territory = q.territory {
            // Codes nest by prefix; digits sort below ':' (the columns compare bytes).
            sql.conditions.append("grid_code >= \(try sql.bind(territory.shortForm)) AND grid_code < \(try sql.bind(territory.shortForm + ":"))")
        }
        if let department = q.department {
            let d = try sql.bind(department)
            sql.conditions.append("(department = \(d) OR id IN (SELECT case_id FROM case_assist WHERE department = \(d)))")
        }
        if let source = q.source { sql.conditions.append("source = " + (try sql.bind(source.rawValue))) }
        if let account = q.reporterAccount { sql.conditions.append("reporter = " + (try sql.bind(Case.reporterKey(account: account)))) }
        if let at = q.overdueAt { sql.conditions.append("running_due_at < " + (try sql.bind(milliseconds(at)))) }
        if let at = q.warnedAt { sql.conditions.append("running_due_at IS NOT NULL AND warn_at <= " + (try sql.bind(milliseconds(at)))) }
        if let from = q.from { sql.conditions.append("reported_at >= " + (try sql.bind(milliseconds(from)))) }
        if let to = q.to { sql.conditions.append("reported_at < " + (try sql.bind(milliseconds(to)))) }
        if let before = q.before, !q.byDeadline { sql.conditions.append("id < " + (try sql.bind(before))) }
        return sql
    }

    /// SQLite sorts missing deadlines first: so does this.
    static func order(_ q: CaseQuery) -> String { q.byDeadline ? " ORDER BY running_due_at NULLS FIRST, id" : " ORDER BY id DESC" }

    public func cases(_ query: CaseQuery) async throws -> [Case] {
        var sql = try Self.conditions(query)
        let limit = try sql.bind(query.limit)
        return try await caseBodies(sql.query("SELECT body FROM case_record" + sql.whereClause + Self.order(query) + " LIMIT " + limit))
    }

    public func caseCount(_ query: CaseQuery) async throws -> Int {
        let sql = try Self.conditions(query)
        for try await n in try await client.query(sql.query("SELECT count(*) FROM case_record" + sql.whereClause), logger: logger).decode(Int.self) {
            return n
        }
        return 0
    }

    public func casePoints(_ query: CaseQuery, within box: BoundingBox?) async throws -> [CasePoint] {
        var sql = try Self.conditions(query)
        if let box { try sql.within(box) }
        let limit = try sql.bind(query.limit)
        let rows = try await client.query(sql.query("""
            SELECT number, status, class_code, grid_code, longitude, latitude, running_due_at FROM case_record
            """ + sql.whereClause + Self.order(query) + " LIMIT " + limit), logger: logger)
        var points: [CasePoint] = []
        for try await (number, status, classCode, grid, longitude, latitude, due) in rows.decode((String, String, String?, String, Double, Double, Int64?).self) {
            guard let s = CaseStatus(rawValue: status) else { throw UnreadableCaseRow(description: "case_record holds an unknown status: \(status)") }
            points.append(CasePoint(number: number, status: s, classCode: classCode, gridCode: grid, location: Coordinate(longitude: longitude, latitude: latitude),
                                    runningDue: due.map(Self.date)))
        }
        return points
    }

    public func caseBreakdown(_ query: CaseQuery, by dimension: CaseBreakdown) async throws -> [String: Int] {
        let sql = try Self.conditions(query)
        let column = dimension == .classCode ? "coalesce(class_code, '')" : "source"
        var counts: [String: Int] = [:]
        for try await (key, n) in try await client.query(sql.query("SELECT \(column), count(*) FROM case_record" + sql.whereClause + " GROUP BY 1"),
                                                         logger: logger).decode((String, Int).self) {
            counts[key] = n
        }
        return counts
    }

    public func caseTally(_ query: CaseQuery, classes: [String], by group: CaseTallyGroup) async throws -> [String: CaseTally] {
        var sql = try Self.conditions(query)
        if !classes.isEmpty {
            var terms: [String] = []
            for c in classes {
                terms.append(c.count == 5 ? "class_code = \(try sql.bind(c))" : "(class_code >= \(try sql.bind(c)) AND class_code < \(try sql.bind(c + ":")))")
            }
            sql.conditions.append("(" + terms.joined(separator: " OR ") + ")")
        }
        let key = switch group {
        case .none: "''"
        // Local months: UTC+8, as case numbers and the read model count days.
        case .month: "to_char(to_timestamp(reported_at / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM')"
        case .regionPrefix(let length): "substr(grid_code, 1, \(max(0, length)))"
        }
        var tally: [String: CaseTally] = [:]
        for try await (group, reported, closed) in try await client.query(sql.query("""
            SELECT \(key), count(*), count(*) FILTER (WHERE status IN ('closed', 'evaluated')) FROM case_record
            """ + sql.whereClause + " GROUP BY 1"), logger: logger).decode((String, Int, Int).self) {
            tally[group] = CaseTally(reported: reported, closed: closed)
        }
        return tally
    }

    public func caseEvents(number: String) async throws -> [CaseEvent] {
        let rows = try await client.query("""
            SELECT e.sequence, e.action, e.actor, e.time, e.status, e.note, e.attachments, e.details
            FROM case_event e JOIN case_record c ON c.id = e.case_id WHERE c.number = \(number) ORDER BY e.sequence
            """, logger: logger)
        var events: [CaseEvent] = []
        for try await (sequence, action, actor, time, status, note, attachments, details) in rows.decode(
            (Int, String, String, Int64, String, String?, String, String).self) {
            guard let a = CaseAction(rawValue: action), let s = CaseStatus(rawValue: status) else {
                throw UnreadableCaseRow(description: "case_event holds an unknown action or status: \(action) \(status)")
            }
            events.append(CaseEvent(sequence: sequence, action: a, actor: actor, time: Self.date(time), note: note,
                                    attachments: try JSONDecoder().decode([String].self, from: Data(attachments.utf8)),
                                    details: try JSONDecoder().decode([String: String].self, from: Data(details.utf8)), status: s))
        }
        return events
    }

    public func openCases(classCode: CaseClassCode, within box: BoundingBox, reportedSince since: Date) async throws -> [(number: String, location: Coordinate)] {
        var sql = CaseSQL()
        sql.conditions.append("class_code = " + (try sql.bind(classCode.rawValue)))
        sql.conditions.append("reported_at >= " + (try sql.bind(Self.milliseconds(since))))
        sql.conditions.append("status = ANY(\(try sql.bind(CaseStatus.allCases.filter(\.isOpen).map(\.rawValue)))::text[])")
        try sql.within(box)
        var found: [(number: String, location: Coordinate)] = []
        for try await (number, longitude, latitude) in try await client.query(sql.query("SELECT number, longitude, latitude FROM case_record"
                                                                                        + sql.whereClause + " ORDER BY id"),
                                                                              logger: logger).decode((String, Double, Double).self) {
            found.append((number, Coordinate(longitude: longitude, latitude: latitude)))
        }
        return found
    }

    public func casesNeedingSupervision(at time: Date, limit: Int) async throws -> [Case] {
        try await caseBodies("""
            SELECT body FROM case_record WHERE next_alert_at <= \(Self.milliseconds(time)) ORDER BY next_alert_at, id LIMIT \(limit)
            """)
    }

    public func cases(withContact sealed: String) async throws -> [Case] {
        try await caseBodies("SELECT body FROM case_record WHERE contact = \(sealed) ORDER BY id")
    }

    public func cases(withAttachment hash: String) async throws -> [Case] {
        try await caseBodies("SELECT c.body FROM case_attachment a JOIN case_record c ON c.id = a.case_id WHERE a.hash = \(hash) ORDER BY c.id")
    }

    // MARK: KPI read model

    /// Column names in the order of ``KPICounters/fieldNames``.
    static let kpiColumns = ["reported", "decided", "decided_on_time", "dispatched", "dispatched_accurate", "handle_due", "handled_on_time", "close_due",
                             "closed", "closed_on_time", "reworked", "extended", "handled", "handling_seconds", "evaluated", "satisfied", "satisfaction_sum"]

    /// Adds the deltas (summed per scope and day first: one upsert may touch a row once) in one
    /// statement, rows in key order.
    static func applyKPI(_ deltas: [KPIDelta], on connection: PostgresConnection, logger: Logger) async throws {
        var summed: [String: [CivilDay: KPICounters]] = [:]
        for d in deltas { summed[d.scope, default: [:]][d.day, default: KPICounters()] += d.counters }
        let rows = summed.flatMap { scope, days in days.filter { !$0.value.isZero }.map { (scope, $0.key, $0.value) } }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        guard !rows.isEmpty else { return }
        var bindings = PostgresBindings()
        bindings.append(rows.map(\.0))
        bindings.append(rows.map(\.1.daysSinceEpoch))
        let values = rows.map(\.2.values)
        for i in kpiColumns.indices { bindings.append(values.map { $0[i] }) }
        let arrays = ["$1::text[]", "$2::int[]"] + kpiColumns.indices.map { "$\($0 + 3)::bigint[]" }
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO case_kpi_day (scope, day, \(kpiColumns.joined(separator: ", ")))
            SELECT * FROM unnest(\(arrays.joined(separator: ", ")))
            ON CONFLICT (scope, day) DO UPDATE SET \(kpiColumns.map { "\($0) = case_kpi_day.\($0) + excluded.\($0)" }.joined(separator: ", "))
            """, binds: bindings), logger: logger)
    }

    public func kpiCounters(scopes: [String], from: CivilDay, to: CivilDay) async throws -> KPICounters {
        guard !scopes.isEmpty else { return KPICounters() }
        let sums = Self.kpiColumns.map { "coalesce(sum(\($0)), 0)" }.joined(separator: ", ")
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT ARRAY[\(sums)]::bigint[] FROM case_kpi_day WHERE scope = ANY($1::text[]) AND day >= $2 AND day < $3
            """, binds: try Self.bindings(scopes, from.daysSinceEpoch, to.daysSinceEpoch)), logger: logger)
        for try await values in rows.decode([Int].self) where values.count == Self.kpiColumns.count { return KPICounters(values: values) }
        return KPICounters()
    }

    public func kpiNotYetDue(_ scope: KPIScope, from: Date, to: Date, now: Date) async throws -> KPICounters {
        guard to > now else { return KPICounters() }
        var sql = CaseSQL()
        let condition: String
        switch scope {
        case .region(let r):
            condition = "grid_code >= \(try sql.bind(r.shortForm)) AND grid_code < \(try sql.bind(r.shortForm + ":"))"
        case .department(let d):
            condition = "department = " + (try sql.bind(d))
        case .grids(let grids):
            guard !grids.isEmpty else { return KPICounters() }
            condition = "grid_code = ANY(\(try sql.bind(grids.map(\.rawValue)))::text[])"
        }
        let start = try sql.bind(Self.milliseconds(max(from, now))), end = try sql.bind(Self.milliseconds(to))
        let rows = try await client.query(sql.query("""
            SELECT (SELECT count(*) FROM case_record WHERE \(condition) AND handle_due_at > \(start) AND handle_due_at < \(end)
                      AND status IN ('dispatched', 'handling', 'suspended')),
                   count(*), count(*) FILTER (WHERE reworks > 0), count(*) FILTER (WHERE extensions > 0)
            FROM case_record WHERE \(condition) AND close_due_at > \(start) AND close_due_at < \(end)
              AND status NOT IN ('closed', 'evaluated', 'rejected', 'merged')
            """), logger: logger)
        var k = KPICounters()
        for try await (handleDue, closeDue, reworked, extended) in rows.decode((Int, Int, Int, Int).self) {
            (k.handleDue, k.closeDue, k.reworked, k.extended) = (handleDue, closeDue, reworked, extended)
        }
        return k
    }
}
