import Dispatch
import Foundation
import GeoKit
import Governance
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The bulk side of cases: a history import (COPY), the read model rebuilt from every case, sealed
/// contacts rewritten under a new key.
extension PostgresStore {
    /// Loads the feed's cases in one transaction, as a pipeline: while one chunk streams by COPY into
    /// `case_record`, `case_event`, `case_attachment` and `case_assist`, the next is pulled from `next`
    /// (on a thread of its own: it may block waiting for its generator), given ids from the sequence
    /// and encoded on every core. Each chunk's KPI contributions are summed and staged in a temporary
    /// table now and then. Only the end — the read model, the day counters of numbers and the audit
    /// record — holds the audit lock, so other instances keep working while the rows stream in.
    public func importCaseHistory(audit: AuditRecord, next: @escaping @Sendable () throws -> [(Case, [CaseEvent])]?) async throws -> Int {
        try await transaction { connection in
            let logger = self.logger
            @Sendable func prepareNext() async throws -> EncodedCases? {
                guard let chunk = try await Self.offPool(next) else { return nil }
                guard !chunk.isEmpty else { return EncodedCases() }
                // The sequence is outside transactions: another connection of the pool can take the ids
                // while this one is busy with a COPY.
                let ids = try await self.client.withConnection { try await Self.reserveCaseIDs(chunk.count, on: $0, logger: logger) }
                return try await Self.encode(chunk, ids: ids)
            }
            try await Self.createKPIStaging(on: connection, logger: logger)
            var tally = KPITally()
            var serials: [String: Int] = [:]
            var count = 0
            var pending = Task { try await prepareNext() }
            do {
                while let encoded = try await pending.value {
                    pending = Task { try await prepareNext() }
                    try await Self.copy(encoded.cases, into: "case_record", columns: Self.caseColumns, on: connection, logger: logger)
                    try await Self.copy(encoded.events, into: "case_event", columns: Self.eventColumns, on: connection, logger: logger)
                    try await Self.copy(encoded.attachments, into: "case_attachment", columns: ["hash", "case_id"], on: connection, logger: logger)
                    try await Self.copy(encoded.assists, into: "case_assist", columns: ["department", "case_id"], on: connection, logger: logger)
                    tally.merge(encoded.tally)
                    serials.merge(encoded.serials, uniquingKeysWith: max)
                    count += encoded.count
                    if tally.entries >= KPITally.stagingThreshold {
                        try await Self.stageKPI(tally, on: connection, logger: logger)
                        tally = KPITally()
                    }
                }
            } catch {
                // The chunk being prepared is dropped, but not left running behind the failed import.
                pending.cancel()
                _ = try? await pending.value
                throw error
            }
            try await Self.stageKPI(tally, on: connection, logger: logger)
            try await Self.lock([Self.auditLock], on: connection, logger: logger)
            try await Self.mergeKPIStaging(on: connection, logger: logger)
            if !serials.isEmpty {
                let prefixes = serials.keys.sorted()
                try await connection.query("""
                    INSERT INTO case_number (prefix, last_serial) SELECT * FROM unnest(\(prefixes)::text[], \(prefixes.map { serials[$0]! })::int[])
                    ON CONFLICT (prefix) DO UPDATE SET last_serial = greatest(case_number.last_serial, excluded.last_serial)
                    """, logger: logger)
            }
            var audit = audit
            audit.target = "cases:\(count)"
            _ = try await Self.appendAudit([audit], on: connection, logger: logger)
            return count
        }
    }

    static let eventColumns = ["case_id", "sequence", "action", "actor", "time", "status", "note", "attachments", "details"]

    /// A chunk of history as COPY data, with what it adds to the read model and the number counters.
    struct EncodedCases: Sendable {
        var count = 0
        var cases: [ByteBuffer] = []
        var events: [ByteBuffer] = []
        var attachments: [ByteBuffer] = []
        var assists: [ByteBuffer] = []
        var tally = KPITally()
        var serials: [String: Int] = [:]

        mutating func append(_ other: EncodedCases) {
            count += other.count
            cases += other.cases
            events += other.events
            attachments += other.attachments
            assists += other.assists
            tally.merge(other.tally)
            serials.merge(other.serials, uniquingKeysWith: max)
        }
    }

    /// Encodes the chunk (ids in order) in parts, one per core.
    static func encode(_ chunk: [(Case, [CaseEvent])], ids: [Int64]) async throws -> EncodedCases {
        let parts = try await inParallel(chunk.count) { range in
            var part = EncodedCases()
            var cases = CopyRows(capacity: range.count * 1_200), events = CopyRows(capacity: range.count * 1_200)
            var attachments = CopyRows(capacity: 0), assists = CopyRows(capacity: 0)
            for i in range {
                var c = chunk[i].0
                let timeline = chunk[i].1, id = ids[i]
                c.id = id
                cases.add(c, body: try encodeCase(c), idempotencyKey: nil)
                for e in timeline {
                    try checkStorable(e)
                    events.add(e, caseID: id)
                }
                for hash in Set(timeline.flatMap(\.attachments)).sorted() {
                    attachments.text(hash)
                    attachments.integer(id)
                    attachments.endRow()
                }
                for department in Set(c.tasks.map(\.department)).sorted() {
                    assists.text(department)
                    assists.integer(id)
                    assists.endRow()
                }
                part.tally.add(c)
                if let dash = c.number.lastIndex(of: "-"), let serial = Int(c.number[c.number.index(after: dash)...]) {
                    let prefix = String(c.number[..<dash])
                    part.serials[prefix] = max(part.serials[prefix] ?? 0, serial)
                }
            }
            part.count = range.count
            (part.cases, part.events, part.attachments, part.assists) = ([cases.buffer], [events.buffer], [attachments.buffer], [assists.buffer])
            return part
        }
        var encoded = EncodedCases()
        for part in parts { encoded.append(part) }
        return encoded
    }

    /// `work` over parts of `0 ..< count`, one per core, off the cooperative pool; results in order.
    static func inParallel<T: Sendable>(_ count: Int, _ work: @escaping @Sendable (Range<Int>) throws -> T) async throws -> [T] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / 200))
        return try await offPool {
            let results = Mutex<[Int: Result<T, any Error>]>([:])
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let result = Result { try work(count * part / parts ..< count * (part + 1) / parts) }
                results.withLock { $0[part] = result }
            }
            return try results.withLock { r in try (0..<parts).map { try r[$0]!.get() } }
        }
    }

    // MARK: the read model in bulk

    /// Recounts the read model from every case, in one transaction holding the audit lock (every case
    /// writer holds it: nothing changes meanwhile), decoding on every core. Readers see the old
    /// counters until the commit.
    public func rebuildCaseKPIs() async throws -> Int {
        try await transaction(locking: [Self.auditLock]) { connection in
            let logger = self.logger
            try await connection.query("DELETE FROM case_kpi_day", logger: logger)
            try await Self.createKPIStaging(on: connection, logger: logger)
            try await connection.query("DECLARE case_kpi_rebuild NO SCROLL CURSOR FOR SELECT body FROM case_record ORDER BY id", logger: logger)
            var tally = KPITally()
            var count = 0
            while true {
                var bodies: [String] = []
                for try await body in try await connection.query("FETCH 10000 FROM case_kpi_rebuild", logger: logger).decode(String.self) { bodies.append(body) }
                guard !bodies.isEmpty else { break }
                let fetched = bodies
                for part in try await Self.inParallel(fetched.count, { range in
                    var part = KPITally()
                    for i in range { part.add(try Self.decodeCase(fetched[i])) }
                    return part
                }) { tally.merge(part) }
                count += bodies.count
                if tally.entries >= KPITally.stagingThreshold {
                    try await Self.stageKPI(tally, on: connection, logger: logger)
                    tally = KPITally()
                }
            }
            try await connection.query("CLOSE case_kpi_rebuild", logger: logger)
            try await Self.stageKPI(tally, on: connection, logger: logger)
            try await Self.mergeKPIStaging(on: connection, logger: logger)
            return count
        }
    }

    /// Whole cases' contributions to the read model, summed per scope and day.
    struct KPITally: Sendable {
        /// Rows held before they go to the staging table (about 200 bytes each).
        static let stagingThreshold = 500_000

        private(set) var days: [String: [CivilDay: KPICounters]] = [:]
        private(set) var entries = 0

        mutating func add(_ c: Case) {
            let contributions = CaseKPI.contributions(of: c)
            guard !contributions.isEmpty else { return }
            for scope in CaseKPI.scopes(of: c) { add(scope, contributions) }
        }

        mutating func merge(_ other: KPITally) {
            for (scope, days) in other.days { add(scope, days) }
        }

        private mutating func add(_ scope: String, _ counters: [CivilDay: KPICounters]) {
            let before = days[scope]?.count ?? 0
            for (day, k) in counters { days[scope, default: [:]][day, default: KPICounters()] += k }
            entries += (days[scope]?.count ?? 0) - before
        }
    }

    /// A temporary table (dropped at commit) that collects tallies; merged once at the end.
    static func createKPIStaging(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("CREATE TEMPORARY TABLE case_kpi_incoming (LIKE case_kpi_day) ON COMMIT DROP", logger: logger)
    }

    static func stageKPI(_ tally: KPITally, on connection: PostgresConnection, logger: Logger) async throws {
        var rows = CopyRows(capacity: tally.entries * 64)
        for (scope, days) in tally.days {
            for (day, k) in days {
                rows.text(scope)
                rows.integer(day.daysSinceEpoch)
                for value in k.values { rows.integer(value) }
                rows.endRow()
            }
        }
        try await copy([rows.buffer], into: "case_kpi_incoming", columns: ["scope", "day"] + kpiColumns, on: connection, logger: logger)
    }

    /// Adds the staged rows, summed per scope and day, to the read model.
    static func mergeKPIStaging(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO case_kpi_day (scope, day, \(kpiColumns.joined(separator: ", ")))
            SELECT scope, day, \(kpiColumns.map { "sum(\($0))::bigint" }.joined(separator: ", ")) FROM case_kpi_incoming GROUP BY scope, day ORDER BY scope, day
            ON CONFLICT (scope, day) DO UPDATE SET \(kpiColumns.map { "\($0) = case_kpi_day.\($0) + excluded.\($0)" }.joined(separator: ", "))
            """), logger: logger)
    }

    // MARK: key rotation

    /// Rewrites every sealed phone, a few thousand cases at a time through a cursor, with the audit
    /// record, in one transaction holding the audit lock (no case changes meanwhile).
    public func rewriteCaseContacts(audit: AuditRecord, transform: @escaping @Sendable (String) throws -> String) async throws -> Int {
        try await transaction(locking: [Self.auditLock]) { connection in
            let logger = self.logger
            try await connection.query("""
                DECLARE case_contacts NO SCROLL CURSOR FOR SELECT id, body FROM case_record WHERE contact IS NOT NULL ORDER BY id
                """, logger: logger)
            var count = 0
            while true {
                var ids: [Int64] = [], bodies: [String] = [], contacts: [String] = []
                var fetched = 0
                for try await (id, body) in try await connection.query("FETCH 2000 FROM case_contacts", logger: logger).decode((Int64, String).self) {
                    fetched += 1
                    var c = try Self.decodeCase(body)
                    guard let sealed = c.reporterContact else { continue }
                    let resealed = try transform(sealed)
                    c.reporterContact = resealed
                    ids.append(id)
                    bodies.append(try Self.encodeCase(c))
                    contacts.append(resealed)
                }
                guard fetched > 0 else { break }
                count += fetched
                if !ids.isEmpty {
                    try await connection.query("""
                        UPDATE case_record SET body = u.body, contact = u.contact
                        FROM unnest(\(ids)::bigint[], \(bodies)::text[], \(contacts)::text[]) AS u(id, body, contact) WHERE case_record.id = u.id
                        """, logger: logger)
                }
            }
            try await connection.query("CLOSE case_contacts", logger: logger)
            _ = try await Self.appendAudit([audit], on: connection, logger: logger)
            return count
        }
    }
}

/// Rows in PostgreSQL's COPY text format, written field by field into one buffer: tab-separated,
/// `\N` for null, backslash, tab and line breaks escaped (as ``CopyText`` writes them), runs of plain
/// bytes copied at once.
struct CopyRows {
    private(set) var buffer: ByteBuffer
    private var atRowStart = true

    init(capacity: Int) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if !atRowStart { buffer.writeInteger(UInt8(ascii: "\t")) }
        atRowStart = false
    }

    mutating func text(_ value: String?) {
        separate()
        guard var value else {
            buffer.writeStaticString("\\N")
            return
        }
        value.withUTF8 { bytes in
            var start = 0
            for (i, byte) in bytes.enumerated() {
                let escaped: StaticString
                switch byte {
                case UInt8(ascii: "\\"): escaped = "\\\\"
                case UInt8(ascii: "\t"): escaped = "\\t"
                case UInt8(ascii: "\n"): escaped = "\\n"
                case UInt8(ascii: "\r"): escaped = "\\r"
                default: continue
                }
                buffer.writeBytes(bytes[start..<i])
                buffer.writeStaticString(escaped)
                start = i + 1
            }
            buffer.writeBytes(bytes[start...])
        }
    }

    mutating func integer(_ value: (some BinaryInteger)?) {
        separate()
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func milliseconds(_ date: Date?) { integer(date.map(PostgresStore.milliseconds)) }

    mutating func double(_ value: Double) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        atRowStart = true
    }

    /// A row of ``PostgresStore/caseColumns``.
    mutating func add(_ c: Case, body: String, idempotencyKey: String?) {
        integer(c.id)
        text(c.number)
        text(c.status.rawValue)
        text(c.classCode?.rawValue)
        text(c.gridCode.rawValue)
        text(c.department)
        text(c.source.rawValue)
        text(c.reporterKey)
        milliseconds(c.reportedAt)
        milliseconds(c.runningDue)
        milliseconds(c.warnAt)
        milliseconds(c.nextAlertAt)
        milliseconds(c.due[.handle])
        milliseconds(c.closeDueAt)
        integer(c.reworks)
        integer(c.extensions)
        double(c.location.longitude)
        double(c.location.latitude)
        text(c.trackingHash)
        text(c.reporterContact)
        text(idempotencyKey)
        integer(c.version)
        text(body)
        endRow()
    }

    /// A row of ``PostgresStore/eventColumns``.
    mutating func add(_ e: CaseEvent, caseID: Int64) {
        integer(caseID)
        integer(e.sequence)
        text(e.action.rawValue)
        text(e.actor)
        milliseconds(e.time)
        text(e.status.rawValue)
        text(e.note)
        text(JSONWriter.array(e.attachments))
        text(JSONWriter.object(e.details))
        endRow()
    }
}
