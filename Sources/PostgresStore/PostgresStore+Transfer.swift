import Foundation
import Governance
import NIOCore
import PostgresNIO

/// PostgreSQL as the target of a move from the embedded store (`citybrain migrate-data`): every
/// table in one transaction, by COPY into a staging table and one INSERT … SELECT that converts
/// the embedded representation into the column types here (times, flags, bytes) and fills the
/// PostGIS columns from the coordinates or the boundary's WKB.
extension PostgresStore: TransferTarget {
    /// A column here: its type, and whether a row may leave it out.
    struct ColumnShape {
        var dataType: String
        var udtName: String
        var optional: Bool
        var generated: Bool
        var serialSequence: String?
    }

    /// What this schema derives rather than stores: the embedded store's bounding boxes of region
    /// versions are the PostGIS shape's here, read back exactly from its vertices.
    static let derivedOnRead: [String: [String: String]] = [
        "region_version": [
            "min_lon": "(SELECT min(ST_X(d.geom)) FROM ST_DumpPoints(shape) d)",
            "min_lat": "(SELECT min(ST_Y(d.geom)) FROM ST_DumpPoints(shape) d)",
            "max_lon": "(SELECT max(ST_X(d.geom)) FROM ST_DumpPoints(shape) d)",
            "max_lat": "(SELECT max(ST_Y(d.geom)) FROM ST_DumpPoints(shape) d)",
        ],
    ]

    func columnShapes(of table: String, on connection: PostgresConnection) async throws -> [String: ColumnShape] {
        var shapes: [String: ColumnShape] = [:]
        let rows = try await connection.query("""
            SELECT column_name, data_type, udt_name, is_nullable = 'YES' OR column_default IS NOT NULL OR is_identity = 'YES',
                   is_generated = 'ALWAYS', pg_get_serial_sequence(quote_ident(table_name), column_name)
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)
            """, logger: logger)
        for try await (name, dataType, udtName, optional, generated, sequence) in rows.decode((String, String, String, Bool, Bool, String?).self) {
            shapes[name] = ColumnShape(dataType: dataType, udtName: udtName, optional: optional, generated: generated, serialSequence: sequence)
        }
        return shapes
    }

    /// The SQL that turns staged text (`value`) into the column's type.
    static func writeConversion(_ value: String, from declared: String, to shape: ColumnShape) -> String {
        switch shape.dataType {
        case "timestamp with time zone":
            // GRDB keeps dates as UTC text with milliseconds; the newer tables as milliseconds.
            return declared.contains("INT") ? "('epoch'::timestamptz + \(value)::bigint * interval '1 millisecond')" : "(\(value) || '+00')::timestamptz"
        case "boolean": return "(\(value)::bigint <> 0)"
        case "bytea": return "decode(\(value), 'hex')"
        case "date": return "\(value)::date"
        case "USER-DEFINED", "ARRAY": return "\(value)::\(shape.udtName)"
        default: return "\(value)::\(shape.dataType)"
        }
    }

    /// The SQL that reads a column back in the embedded store's representation.
    static func readConversion(_ column: String, declared: String, shape: ColumnShape) -> String {
        switch shape.dataType {
        case "timestamp with time zone":
            return declared.contains("INT") ? "round(extract(epoch FROM \(column)) * 1000)::bigint"
                : "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')"
        case "boolean": return "\(column)::integer"
        case "date": return "to_char(\(column), 'YYYY-MM-DD')"
        case "json", "jsonb": return "\(column)::text"
        default: return column
        }
    }

    /// A PostGIS column the embedded store has no counterpart of, filled from what it has.
    static func derivedGeometry(from sourceColumns: Set<String>) -> String? {
        if sourceColumns.contains("geometry") { return "ST_Multi(ST_GeomFromWKB(geometry, 4326))" }
        if sourceColumns.isSuperset(of: ["longitude", "latitude"]) { return "ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)" }
        return nil
    }

    public func receiveTransfer(_ tables: [TransferTable], from source: any TransferSource, batchSize: Int,
                                progress: @escaping @Sendable (String, Int) -> Void) async throws {
        // Nothing else writes meanwhile: no import of any family, no audit entry.
        let locks = [Self.auditLock] + ImportFamily.allCases.map { "citybrain.batch." + $0.rawValue }
        try await transaction(locking: locks) { connection in
            var shapes: [String: [String: ColumnShape]] = [:]
            for table in tables {
                let here = try await self.columnShapes(of: table.name, on: connection)
                guard !here.isEmpty else { throw StoreConflict("the source's table \(table.name) has no counterpart in PostgreSQL") }
                for column in table.columns where here[column.name] == nil && Self.derivedOnRead[table.name]?[column.name] == nil {
                    throw StoreConflict("\(table.name).\(column.name) of the source has no counterpart in PostgreSQL")
                }
                var empty = false
                for try await value in try await connection.query(PostgresQuery(unsafeSQL: "SELECT NOT EXISTS (SELECT 1 FROM \(Self.quoted(table.name)))"),
                                                                  logger: self.logger).decode(Bool.self) {
                    empty = value
                }
                guard empty else {
                    throw StoreConflict("\(table.name) already holds data: move a deployment into a new, empty database (or schema), migrated with `citybrain migrate`")
                }
                shapes[table.name] = here
            }
            for (n, table) in tables.enumerated() {
                do {
                    try await self.receiveTable(table, stage: "transfer_stage_\(n)", shapes: shapes[table.name]!, from: source, batchSize: batchSize,
                                                on: connection, progress: progress)
                } catch let error as PSQLError {
                    // The server's own words (the error's description hides them), and where.
                    throw StoreConflict("\(table.name): \(Self.explain(error))")
                }
            }
        }
    }

    /// One table: its rows by COPY into a staging table of text columns, then one INSERT … SELECT
    /// converting them (and filling the PostGIS columns), then the sequences past the copied IDs.
    private func receiveTable(_ table: TransferTable, stage: String, shapes here: [String: ColumnShape], from source: any TransferSource, batchSize: Int,
                              on connection: PostgresConnection, progress: @Sendable (String, Int) -> Void) async throws {
        let stored = table.columns.enumerated().filter { here[$0.element.name] != nil }
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE TEMP TABLE \(stage) (\(stored.map { "c\($0.offset) text" }.joined(separator: ", "))) ON COMMIT DROP"),
                                   logger: logger)
        var copied = 0
        var after: [TransferValue]?
        while true {
            let page = try await source.transferRows(table, after: after, limit: batchSize)
            try await Self.copyRows(into: stage, columns: stored.map { "c\($0.offset)" }, page, on: connection, logger: logger) { row in
                stored.map { Self.copyField(row[$0.offset]) }
            }
            copied += page.count
            progress(table.name, copied)
            guard page.count == batchSize, let last = page.last else { break }
            after = table.key.map { last[$0] }
        }
        let sourceNames = Set(table.columns.map(\.name))
        var targets = stored.map { Self.quoted($0.element.name) }
        var values = stored.map { Self.writeConversion("c\($0.offset)", from: $0.element.declaredType, to: here[$0.element.name]!) }
        for (name, shape) in here.sorted(by: { $0.key < $1.key }) where !sourceNames.contains(name) && !shape.generated {
            if shape.udtName == "geometry" {
                guard let derived = Self.derivedGeometry(from: sourceNames) else {
                    throw StoreConflict("\(table.name).\(name): no rule fills this PostGIS column from the source")
                }
                targets.append(Self.quoted(name))
                values.append(derived)
            } else if !shape.optional {
                throw StoreConflict("\(table.name).\(name) must have a value, and the source has none")
            }
        }
        // The derived geometry refers to the converted columns by name: convert in a subquery.
        let converted = zip(values.prefix(stored.count), stored).map { "\($0.0) AS \(Self.quoted($0.1.element.name))" }.joined(separator: ", ")
        let outer = stored.map { Self.quoted($0.element.name) } + values.dropFirst(stored.count)
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(Self.quoted(table.name)) (\(targets.joined(separator: ", ")))
            SELECT \(outer.joined(separator: ", ")) FROM (SELECT \(converted) FROM \(stage)) AS moved
            """), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(stage)"), logger: logger)
        // IDs were copied as they were: the sequences continue after the largest.
        for (name, shape) in here {
            guard let sequence = shape.serialSequence else { continue }
            _ = try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT setval('\(sequence)', max(\(Self.quoted(name)))) FROM \(Self.quoted(table.name)) HAVING max(\(Self.quoted(name))) IS NOT NULL
                """), logger: logger).collect()
        }
    }

    public func transferRows(_ table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        let statements: (first: String, next: String)
        if let known = transferReads.withLock({ $0[table] }) {
            statements = known
        } else {
            statements = try await readStatements(table)
            transferReads.withLock { $0[table] = statements }
        }
        var binds = PostgresBindings()
        for value in after ?? [] {
            switch value {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let r): binds.append(r)
            case .text(let t): binds.append(t)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            }
        }
        let sql = (after == nil ? statements.first : statements.next) + " LIMIT \(limit)"
        var rows: [[TransferValue]] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            rows.append(try row.map { cell in try Self.transferValue(cell) })
        }
        return rows
    }

    /// The table's rows in the embedded representation, ordered by its key: from the start, and
    /// after a key given as $1, $2 ….
    private func readStatements(_ table: TransferTable) async throws -> (first: String, next: String) {
        let here = try await client.withConnection { try await self.columnShapes(of: table.name, on: $0) }
        var selected: [String] = []
        for column in table.columns {
            if let shape = here[column.name] {
                selected.append(Self.readConversion(Self.quoted(column.name), declared: column.declaredType, shape: shape))
            } else if let derived = Self.derivedOnRead[table.name]?[column.name] {
                selected.append(derived)
            } else {
                throw StoreConflict("\(table.name).\(column.name) has no counterpart in PostgreSQL")
            }
        }
        // Text keys in byte order, as the embedded store compares them.
        let key = table.key.map { i -> String in
            let name = Self.quoted(table.columns[i].name)
            return here[table.columns[i].name]?.dataType == "text" ? "\(name) COLLATE \"C\"" : name
        }
        let select = "SELECT \(selected.joined(separator: ", ")) FROM \(Self.quoted(table.name))"
        let order = " ORDER BY \(key.joined(separator: ", "))"
        let after = " WHERE (\(key.joined(separator: ", "))) > (\((1...key.count).map { "$\($0)" }.joined(separator: ", ")))"
        return (select + order, select + after + order)
    }

    static func transferValue(_ cell: PostgresCell) throws -> TransferValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8, .numeric: return .real(try cell.decode(Double.self))
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }

    static func copyField(_ value: TransferValue) -> String? {
        switch value {
        case .null: return nil
        case .integer(let i): return String(i)
        case .real(let r): return "\(r)"
        case .text(let t): return t
        case .blob(let b): return b.map { String(format: "%02x", $0) }.joined()
        }
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
