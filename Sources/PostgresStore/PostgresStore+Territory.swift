import Foundation
import GeoKit
import Governance
import NIOCore
import PostgresNIO

extension PostgresStore: RegionStore, GridWorkerStore, SettingsStore {
    // MARK: regions

    public func loadRegions() async throws -> [Region] {
        let rows = try await client.query("""
            SELECT code, name, parent_code, valid_from, valid_to, source_crs, import_batch, geometry
            FROM region_version ORDER BY code, valid_from
            """, logger: logger)
        var regions: [Region] = []
        for try await (code, name, parent, validFrom, validTo, crs, batch, wkb) in rows.decode((String, String, String?, Date, Date?, String, Int64?, ByteBuffer).self) {
            regions.append(Region(code: try RegionCode(code), name: name, parentCode: try parent.map { try RegionCode($0) },
                                  geometry: try WKB.decodeMultiPolygon(Data(buffer: wkb)), validFrom: validFrom, validTo: validTo,
                                  sourceCoordinateSystem: CoordinateSystem(rawValue: crs) ?? .wgs84, importBatch: batch))
        }
        return regions
    }

    /// Inside the caller's transaction (holding the family's lock): refuses the write if a batch later
    /// than `basedOn` exists, then records the new batch.
    static func beginBatch(_ batch: ImportBatch, basedOn: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> ImportBatch {
        let latest = try await latestBatch(batch.family?.kinds ?? [batch.kind], on: connection, logger: logger)
        guard latest == basedOn else {
            throw StoreConflict("the data changed since it was read (batch \(latest ?? 0) is newer than \(basedOn ?? 0)); read again and retry")
        }
        var batch = batch
        let rows = try await connection.query("""
            INSERT INTO import_batch (kind, source, actor, imported_at, record_count, note)
            VALUES (\(batch.kind), \(batch.source), \(batch.actor), \(batch.importedAt), \(batch.recordCount), \(batch.note)) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { batch.id = id }
        return batch
    }

    /// The lock that serialises writes of one import family across instances.
    static func lockName(_ batch: ImportBatch) -> String { "citybrain.batch." + (batch.family?.rawValue ?? batch.kind) }

    static func latestBatch(_ kinds: [String], on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query("SELECT max(id) FROM import_batch WHERE kind = ANY(\(kinds))", logger: logger)
        for try await id in rows.decode(Int64?.self) { return id }
        return nil
    }

    public func latestImportBatchID(_ family: ImportFamily) async throws -> Int64? {
        try await client.withConnection { connection in try await Self.latestBatch(family.kinds, on: connection, logger: self.logger) }
    }

    public func commit(_ changes: RegionChangeSet) async throws -> ImportBatch {
        try await transaction(locking: [Self.lockName(changes.batch), Self.auditLock]) { connection in
            let batch = try await Self.beginBatch(changes.batch, basedOn: changes.basedOnBatch, on: connection, logger: self.logger)
            for c in changes.closing {
                let rows = try await connection.query("""
                    UPDATE region_version SET valid_to = \(c.validTo) WHERE code = \(c.code.rawValue) AND valid_from = \(c.validFrom) RETURNING id
                    """, logger: self.logger).collect()
                if rows.count != 1 {
                    throw StoreConflict("region \(c.code) has no version valid from \(c.validFrom) to close; the store changed meanwhile")
                }
            }
            for r in changes.inserting {
                let wkb = ByteBuffer(data: WKB.encode(r.geometry))
                try await connection.query("""
                    INSERT INTO region_version (code, level, name, parent_code, valid_from, valid_to, source_crs, import_batch, area_m2, geometry, shape)
                    VALUES (\(r.code.rawValue), \(r.level.rawValue), \(r.name), \(r.parentCode?.rawValue), \(r.validFrom), \(r.validTo),
                            \(r.sourceCoordinateSystem.rawValue), \(batch.id), \(r.geometry.area), \(wkb), ST_Multi(ST_GeomFromWKB(\(wkb), 4326)))
                    """, logger: self.logger)
            }
            try await Self.auditImport(batch, on: connection, logger: self.logger)
            return batch
        }
    }

    public func importBatches() async throws -> [ImportBatch] {
        let rows = try await client.query("SELECT id, kind, source, actor, imported_at, record_count, note FROM import_batch ORDER BY id", logger: logger)
        var batches: [ImportBatch] = []
        for try await (id, kind, source, actor, at, count, note) in rows.decode((Int64, String, String, String, Date, Int, String).self) {
            batches.append(ImportBatch(id: id, kind: kind, source: source, actor: actor, importedAt: at, recordCount: count, note: note))
        }
        return batches
    }

    /// The regions whose boundary valid at `instant` contains the point, by PostGIS (`ST_Covers` on the
    /// GiST index: a point on a shared edge belongs to both), most detailed level first. The in-memory
    /// grid index answers the same question for the running services; this is for SQL-side joins.
    public func regionCodes(containing point: Coordinate, at instant: Date) async throws -> [RegionCode] {
        let rows = try await client.query("""
            SELECT code FROM region_version
            WHERE ST_Covers(shape, ST_SetSRID(ST_MakePoint(\(point.longitude), \(point.latitude)), 4326))
              AND valid_from <= \(instant) AND (valid_to IS NULL OR valid_to > \(instant))
            ORDER BY array_position(ARRAY['grid', 'community', 'street', 'district', 'city', 'province'], level), code
            """, logger: logger)
        var codes: [RegionCode] = []
        for try await code in rows.decode(String.self) { codes.append(try RegionCode(code)) }
        return codes
    }

    // MARK: grid workers

    public func loadGridWorkers() async throws -> [GridWorker] {
        var grids: [Int64: [RegionCode]] = [:]
        for try await (worker, grid) in try await client.query("SELECT worker_id, grid_code FROM grid_worker_assignment ORDER BY worker_id, grid_code",
                                                               logger: logger).decode((Int64, String).self) {
            grids[worker, default: []].append(try RegionCode(grid))
        }
        var workers: [GridWorker] = []
        for try await (id, code, name, phone) in try await client.query("SELECT id, code, name, phone FROM grid_worker ORDER BY code",
                                                                        logger: logger).decode((Int64, String, String, String?).self) {
            workers.append(GridWorker(code: code, name: name, phone: try phone.map { try PhoneNumber($0) }, gridCodes: grids[id] ?? []))
        }
        return workers
    }

    public func saveGridWorkers(_ workers: [GridWorker], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch {
        try await transaction(locking: [Self.lockName(batch), Self.auditLock]) { connection in
            let batch = try await Self.beginBatch(batch, basedOn: basedOnBatch, on: connection, logger: self.logger)
            for w in workers {
                var id: Int64?
                for try await value in try await connection.query("""
                    INSERT INTO grid_worker (code, name, phone) VALUES (\(w.code), \(w.name), \(w.phone?.digits))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, phone = excluded.phone RETURNING id
                    """, logger: self.logger).decode(Int64.self) { id = value }
                guard let id else { throw StoreConflict("grid worker \(w.code) could not be written") }
                try await connection.query("DELETE FROM grid_worker_assignment WHERE worker_id = \(id)", logger: self.logger)
                for g in Set(w.gridCodes).sorted() {
                    try await connection.query("INSERT INTO grid_worker_assignment (worker_id, grid_code) VALUES (\(id), \(g.rawValue))", logger: self.logger)
                }
            }
            try await Self.auditImport(batch, on: connection, logger: self.logger)
            return batch
        }
    }

    // MARK: settings

    public func setting(_ key: String) async throws -> String? {
        for try await value in try await client.query("SELECT value FROM setting WHERE key = \(key)", logger: logger).decode(String.self) { return value }
        return nil
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await client.query("INSERT INTO setting (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger: logger)
    }

    public func removeSetting(_ key: String) async throws {
        try await client.query("DELETE FROM setting WHERE key = \(key)", logger: logger)
    }
}

extension PostgresStore {
    /// The grid (current version) each point lies in, by one PostGIS join of the points with the
    /// grids' shapes (`ST_Covers` on the GiST index); nil outside every grid. A point on an edge
    /// shared by two grids gets the smaller code.
    public func gridCodes(containing points: [Coordinate]) async throws -> [RegionCode?] {
        guard !points.isEmpty else { return [] }
        let rows = try await client.query("""
            SELECT p.i, min(r.code)
            FROM unnest(\(points.map(\.longitude))::float8[], \(points.map(\.latitude))::float8[]) WITH ORDINALITY AS p(lon, lat, i)
            LEFT JOIN region_version r
              ON r.level = 'grid' AND r.valid_to IS NULL AND ST_Covers(r.shape, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
            GROUP BY p.i
            """, logger: logger)
        var codes = [RegionCode?](repeating: nil, count: points.count)
        for try await (i, code) in rows.decode((Int64, String?).self) { codes[Int(i) - 1] = try code.map { try RegionCode($0) } }
        return codes
    }

    /// How many standard addresses lie within `metres` of the point (geodesic distance; the GiST
    /// index narrows to the bounding box first).
    public func addressCount(within metres: Double, of point: Coordinate) async throws -> Int {
        let dLat = metres / 111_320, dLon = metres / (111_320 * cos(point.latitude * .pi / 180))
        let rows = try await client.query("""
            SELECT count(*) FROM address
            WHERE position && ST_MakeEnvelope(\(point.longitude - dLon), \(point.latitude - dLat), \(point.longitude + dLon), \(point.latitude + dLat), 4326)
              AND ST_DWithin(position::geography, ST_SetSRID(ST_MakePoint(\(point.longitude), \(point.latitude)), 4326)::geography, \(metres), false)
            """, logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Removes the store's own schema and everything in it (benchmarks and tests clean up so).
    public func dropSchema() async throws {
        guard let schema else { return }
        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: logger)
    }
}
