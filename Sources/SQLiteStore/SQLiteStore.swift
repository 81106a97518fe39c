import Foundation
import GRDB
import GeoKit
import Governance

/// The embedded default store: one SQLite file in WAL mode, through GRDB.
///
/// Geometry is stored as WKB (the same bytes PostGIS reads), with the bounding box and area beside
/// it for SQL-side filtering; times are UTC.
public final class SQLiteStore: CityBrainStore {
    let database: any DatabaseWriter
    public let path: String
    public let unreadableRows = UnreadableRows()
    public let timings: StoreTimings

    /// Opens (creating if needed) the database file. Call ``migrate()`` before use.
    public init(path: String) throws {
        let timings = StoreTimings()
        self.timings = timings
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // Each statement's time, for /metrics (read only once someone observes).
            db.trace(options: .profile) { event in
                guard timings.isObserved, case .profile(let statement, let duration) = event else { return }
                timings.record(StoreTimings.kind(ofSQL: statement.sql), seconds: duration)
            }
            // WAL + NORMAL: durable across process crashes (the WAL is synced at checkpoints and on
            // commit by the OS), a fraction of the cost of FULL.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Imports insert millions of rows in random key order: with SQLite's default 2 MB page
            // cache, index pages are evicted (written to the WAL) mid-transaction again and again.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            // A first registry load builds its indexes at the end: SQLite's sorter may use the other cores.
            try db.execute(sql: "PRAGMA threads = \(min(4, ProcessInfo.processInfo.activeProcessorCount))")
            // SQLite reuses the WAL file but never shrinks it: after the demo's bulk load it stayed at
            // 3.2 GB while serving. Once a checkpoint has reset it, it is cut back to this size.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
        }
        configuration.busyMode = .timeout(10)
        self.path = path
        if path == ":memory:" {
            database = try DatabaseQueue(configuration: configuration)
        } else {
            database = try DatabasePool(path: path, configuration: configuration)
        }
    }

    /// What the WAL file is cut back to after a checkpoint (64 MB).
    public static let walSizeLimit = 64 * 1024 * 1024

    /// Copies the WAL into the database and empties it (after a bulk load: imports, the demo's
    /// generation, migrations). Waits for readers to finish; returns the WAL's size afterwards.
    @discardableResult
    public func checkpoint() async throws -> Int64 {
        guard path != ":memory:" else { return 0 }
        try await database.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.int64Value ?? 0
        return size
    }

    public func migrate() async throws {
        try SQLiteMigrations.migrator.migrate(database)
    }

    /// Applies the migrations up to and including `name` only (to test upgrades of older files).
    func migrate(upTo name: String) throws {
        try SQLiteMigrations.migrator.migrate(database, upTo: name)
    }

    /// Runs raw SQL (for tests that build an older file's content).
    func execute(_ sql: String) async throws {
        try await database.write { db in try db.execute(sql: sql) }
    }

    // MARK: regions

    public func loadRegions() async throws -> [Region] {
        try await database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT code, name, parent_code, valid_from, valid_to, source_crs, import_batch, geometry
                FROM region_version ORDER BY code, valid_from
                """)
            return try rows.map { row in
                let codeText: String = row["code"]
                let parentText: String? = row["parent_code"]
                let crsText: String = row["source_crs"]
                let wkb: Data = row["geometry"]
                return Region(
                    code: try RegionCode(codeText),
                    name: row["name"],
                    parentCode: try parentText.map { try RegionCode($0) },
                    geometry: try WKB.decodeMultiPolygon(wkb),
                    validFrom: row["valid_from"],
                    validTo: row["valid_to"],
                    sourceCoordinateSystem: CoordinateSystem(rawValue: crsText) ?? .wgs84,
                    importBatch: row["import_batch"])
            }
        }
    }

    /// Inside a write transaction: refuses the write if a batch later than `basedOn` exists, then
    /// records the new batch.
    static func beginBatch(_ batch: ImportBatch, basedOn: Int64?, in db: Database) throws -> ImportBatch {
        let latest = try latestBatch(batch.family?.kinds ?? [batch.kind], in: db)
        guard latest == basedOn else {
            throw StoreConflict("the data changed since it was read (batch \(latest ?? 0) is newer than \(basedOn ?? 0)); read again and retry")
        }
        var batch = batch
        try db.execute(
            sql: "INSERT INTO import_batch (kind, source, actor, imported_at, record_count, note) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [batch.kind, batch.source, batch.actor, batch.importedAt, batch.recordCount, batch.note])
        batch.id = db.lastInsertedRowID
        return batch
    }

    private static func latestBatch(_ kinds: [String], in db: Database) throws -> Int64? {
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        return try Int64.fetchOne(db, sql: "SELECT max(id) FROM import_batch WHERE kind IN (\(marks))", arguments: StatementArguments(kinds))
    }

    public func latestImportBatchID(_ family: ImportFamily) async throws -> Int64? {
        try await database.read { db in try Self.latestBatch(family.kinds, in: db) }
    }

    public func commit(_ changes: RegionChangeSet) async throws -> ImportBatch {
        try await database.write { db in
            let batch = try Self.beginBatch(changes.batch, basedOn: changes.basedOnBatch, in: db)
            let close = try db.cachedStatement(sql: "UPDATE region_version SET valid_to = ? WHERE code = ? AND valid_from = ?")
            for c in changes.closing {
                try close.execute(arguments: [c.validTo, c.code.rawValue, c.validFrom])
                if db.changesCount != 1 {
                    throw StoreConflict("region \(c.code) has no version valid from \(c.validFrom) to close; the store changed meanwhile")
                }
            }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO region_version
                  (code, level, name, parent_code, valid_from, valid_to, source_crs, import_batch,
                   min_lon, min_lat, max_lon, max_lat, area_m2, geometry)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in changes.inserting {
                let box = r.geometry.boundingBox
                try insert.execute(arguments: [
                    r.code.rawValue, r.level.rawValue, r.name, r.parentCode?.rawValue, r.validFrom, r.validTo,
                    r.sourceCoordinateSystem.rawValue, batch.id,
                    box?.minLongitude, box?.minLatitude, box?.maxLongitude, box?.maxLatitude,
                    r.geometry.area, WKB.encode(r.geometry),
                ])
            }
            try Self.auditImport(batch, in: db)
            return batch
        }
    }

    public func importBatches() async throws -> [ImportBatch] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM import_batch ORDER BY id").map { row in
                ImportBatch(id: row["id"], kind: row["kind"], source: row["source"], actor: row["actor"],
                            importedAt: row["imported_at"], recordCount: row["record_count"], note: row["note"])
            }
        }
    }

    // MARK: grid workers

    public func loadGridWorkers() async throws -> [GridWorker] {
        try await database.read { db in
            var grids: [Int64: [RegionCode]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT worker_id, grid_code FROM grid_worker_assignment ORDER BY worker_id, grid_code") {
                let code: String = row["grid_code"]
                grids[row["worker_id"], default: []].append(try RegionCode(code))
            }
            return try Row.fetchAll(db, sql: "SELECT id, code, name, phone FROM grid_worker ORDER BY code").map { row in
                let id: Int64 = row["id"]
                let phone: String? = row["phone"]
                return GridWorker(code: row["code"], name: row["name"], phone: try phone.map { try PhoneNumber($0) }, gridCodes: grids[id] ?? [])
            }
        }
    }

    public func saveGridWorkers(_ workers: [GridWorker], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch {
        try await database.write { db in
            let batch = try Self.beginBatch(batch, basedOn: basedOnBatch, in: db)
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO grid_worker (code, name, phone) VALUES (?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, phone = excluded.phone
                RETURNING id
                """)
            let clear = try db.cachedStatement(sql: "DELETE FROM grid_worker_assignment WHERE worker_id = ?")
            let assign = try db.cachedStatement(sql: "INSERT INTO grid_worker_assignment (worker_id, grid_code) VALUES (?, ?)")
            for w in workers {
                guard let id = try Int64.fetchOne(upsert, arguments: [w.code, w.name, w.phone?.digits]) else {
                    throw StoreConflict("grid worker \(w.code) could not be written")
                }
                try clear.execute(arguments: [id])
                for g in Set(w.gridCodes).sorted() { try assign.execute(arguments: [id, g.rawValue]) }
            }
            try Self.auditImport(batch, in: db)
            return batch
        }
    }

    // MARK: addresses

    public func loadAddresses() async throws -> [StandardAddress] {
        try await database.read { db in
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT code, province, city, district, township, community, road, house_number, village_group, compound,
                       building, unit, floor, room, longitude, latitude, grid_code, status
                FROM address ORDER BY id
                """)
            var result: [StandardAddress] = []
            var builder = StoredAddressBuilder()
            while let row = try cursor.next() {
                result.append(try builder.address(code: row[0], elements: (1...13).map { row[$0] as String? }, longitude: row[14], latitude: row[15],
                                                  grid: row[16], status: row[17]))
            }
            return result
        }
    }

    public func loadPlaceAliases() async throws -> [PlaceAlias] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, name, current_name FROM place_alias ORDER BY id").compactMap { row in
                let kind: String = row["kind"]
                guard let k = PlaceNameKind(label: kind) else { return nil }
                return PlaceAlias(kind: k, name: row["name"], currentName: row["current_name"])
            }
        }
    }

    public func saveAddresses(_ addresses: [StandardAddress], aliases: [PlaceAlias], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch {
        try await database.write { db in
            let batch = try Self.beginBatch(batch, basedOn: basedOnBatch, in: db)
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO address (code, province, city, district, township, community, road, house_number, village_group, compound,
                                     building, unit, floor, room, longitude, latitude, grid_code, status, import_batch, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET
                  province = excluded.province, city = excluded.city, district = excluded.district, township = excluded.township,
                  community = excluded.community, road = excluded.road, house_number = excluded.house_number,
                  village_group = excluded.village_group, compound = excluded.compound, building = excluded.building,
                  unit = excluded.unit, floor = excluded.floor, room = excluded.room, longitude = excluded.longitude,
                  latitude = excluded.latitude, grid_code = excluded.grid_code, status = excluded.status,
                  import_batch = excluded.import_batch, updated_at = excluded.updated_at
                """)
            var bulk = BulkStatement(upsert)
            var dates = DateText()
            for a in addresses {
                let e = a.elements
                for text in [a.code, e.province, e.city, e.district, e.township, e.community, e.road, e.houseNumber, e.villageGroup, e.compound,
                             e.building, e.unit, e.floor, e.room] { bulk.text(text) }
                bulk.double(a.coordinate.longitude)
                bulk.double(a.coordinate.latitude)
                bulk.text(a.gridCode?.rawValue)
                bulk.text(a.status.rawValue)
                bulk.integer(batch.id)
                bulk.text(dates(batch.importedAt))
                try bulk.step(db)
            }
            let alias = try db.cachedStatement(sql: "INSERT OR IGNORE INTO place_alias (kind, name, current_name, import_batch) VALUES (?, ?, ?, ?)")
            for a in aliases { try alias.execute(arguments: [a.kind.label, a.name, a.currentName, batch.id]) }
            try Self.auditImport(batch, in: db)
            return batch
        }
    }

    public func updateAddressGrids(_ assignments: [(code: String, grid: RegionCode?)]) async throws {
        try await database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE address SET grid_code = ? WHERE code = ?")
            for a in assignments { try update.execute(arguments: [a.grid?.rawValue, a.code]) }
        }
    }

    /// SQLite's own check of the file ("ok" when sound).
    public func integrityCheck() async throws -> String {
        try await database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// The names of the indexes of a table (for tests and diagnostics).
    public func indexNames(on table: String) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", arguments: [table])
        }
    }

    // MARK: settings

    public func setting(_ key: String) async throws -> String? {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
        }
    }

    public func removeSetting(_ key: String) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key]) }
    }
}
