import Foundation
import GeoKit
import Governance
import NIOCore
import PostgresNIO

extension PostgresStore: AddressStore {
    static let addressColumns = ["code", "province", "city", "district", "township", "community", "road", "house_number", "village_group", "compound",
                                 "building", "unit", "floor", "room", "longitude", "latitude", "grid_code", "status"]

    /// The secondary indexes of migration 0002, dropped and rebuilt around a first load.
    static let addressIndexes = [
        ("address_grid", "CREATE INDEX address_grid ON address (grid_code)"),
        ("address_position", "CREATE INDEX address_position ON address USING gist (position)"),
    ]

    public func loadAddresses() async throws -> [StandardAddress] {
        let rows = try await client.query("""
            SELECT code, province, city, district, township, community, road, house_number, village_group, compound,
                   building, unit, floor, room, longitude, latitude, grid_code, status
            FROM address ORDER BY id
            """, logger: logger)
        var result: [StandardAddress] = []
        var builder = StoredAddressBuilder()
        for try await row in rows {
            let c = try row.decode((String, String?, String?, String?, String?, String?, String?, String?, String?, String?,
                                    String?, String?, String?, String?, Double, Double, String?, String).self)
            result.append(try builder.address(code: c.0, elements: [c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13],
                                              longitude: c.14, latitude: c.15, grid: c.16, status: c.17))
        }
        return result
    }

    public func loadPlaceAliases() async throws -> [PlaceAlias] {
        var aliases: [PlaceAlias] = []
        for try await (kind, name, current) in try await client.query("SELECT kind, name, current_name FROM place_alias ORDER BY id",
                                                                      logger: logger).decode((String, String, String).self) {
            if let k = PlaceNameKind(label: kind) { aliases.append(PlaceAlias(kind: k, name: name, currentName: current)) }
        }
        return aliases
    }

    /// COPY into a staging table, then one upsert by code: millions of addresses in one round trip
    /// per chunk rather than one statement per row.
    public func saveAddresses(_ addresses: [StandardAddress], aliases: [PlaceAlias], batch: ImportBatch, basedOnBatch: Int64?) async throws -> ImportBatch {
        try await transaction(locking: [Self.lockName(batch), Self.auditLock]) { connection in
            let batch = try await Self.beginBatch(batch, basedOn: basedOnBatch, on: connection, logger: self.logger)
            try await connection.query("""
                CREATE TEMP TABLE address_incoming (ord bigint, code text, province text, city text, district text, township text, community text,
                  road text, house_number text, village_group text, compound text, building text, unit text, floor text, room text,
                  longitude double precision, latitude double precision, grid_code text, status text) ON COMMIT DROP
                """, logger: self.logger)
            try await connection.copyFrom(table: "address_incoming", columns: ["ord"] + Self.addressColumns, logger: self.logger) { writer in
                var buffer = ByteBuffer()
                for (i, a) in addresses.enumerated() {
                    let e = a.elements
                    var fields: [String?] = [String(i), a.code, e.province, e.city, e.district, e.township, e.community, e.road, e.houseNumber, e.villageGroup,
                                             e.compound, e.building, e.unit, e.floor, e.room]
                    fields += [String(a.coordinate.longitude), String(a.coordinate.latitude), a.gridCode?.rawValue, a.status.rawValue]
                    CopyText.append(fields, to: &buffer)
                    if buffer.readableBytes > 1 << 20 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            // A first load (into an empty library) builds the secondary indexes once at the end: one
            // sorted GiST build is far cheaper than 1.8 M insertions into the tree.
            var firstLoad = false
            for try await empty in try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM address)", logger: self.logger).decode(Bool.self) {
                firstLoad = empty
            }
            if firstLoad {
                for (name, _) in Self.addressIndexes { try await connection.query(PostgresQuery(unsafeSQL: "DROP INDEX \(name)"), logger: self.logger) }
            }
            let columns = Self.addressColumns.joined(separator: ", ")
            let updates = Self.addressColumns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO address (\(columns), position, import_batch, updated_at)
                SELECT \(columns), ST_SetSRID(ST_MakePoint(longitude, latitude), 4326), $1, $2 FROM address_incoming ORDER BY ord
                ON CONFLICT (code) DO UPDATE SET \(updates), position = excluded.position, import_batch = excluded.import_batch, updated_at = excluded.updated_at
                """, binds: try Self.bindings(batch.id, batch.importedAt)), logger: self.logger)
            if firstLoad {
                for (_, create) in Self.addressIndexes { try await connection.query(PostgresQuery(unsafeSQL: create), logger: self.logger) }
            }
            for a in aliases {
                try await connection.query("""
                    INSERT INTO place_alias (kind, name, current_name, import_batch) VALUES (\(a.kind.label), \(a.name), \(a.currentName), \(batch.id))
                    ON CONFLICT DO NOTHING
                    """, logger: self.logger)
            }
            try await Self.auditImport(batch, on: connection, logger: self.logger)
            return batch
        }
    }

    public func updateAddressGrids(_ assignments: [(code: String, grid: RegionCode?)]) async throws {
        guard !assignments.isEmpty else { return }
        try await transaction { connection in
            // Two arrays unnested side by side: one statement for any number of addresses ("" stands for no grid).
            let codes = assignments.map(\.code), grids = assignments.map { $0.grid?.rawValue ?? "" }
            try await connection.query("""
                UPDATE address SET grid_code = nullif(incoming.grid, '')
                FROM unnest(\(codes)::text[], \(grids)::text[]) AS incoming(code, grid)
                WHERE address.code = incoming.code
                """, logger: self.logger)
        }
    }

    static func bindings(_ values: (any PostgresEncodable & Sendable)?...) throws -> PostgresBindings {
        var b = PostgresBindings()
        for value in values {
            if let value { try b.append(value) } else { b.appendNull() }
        }
        return b
    }
}

