import Crypto
import Foundation

/// One stored value as it travels when a deployment moves from one backend to another: the
/// embedded store's own representation (times as it stores them, flags as 0 and 1, JSON as text),
/// which the receiving backend converts into its column types and back again for the comparison.
public enum TransferValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A table to move: its columns with the types the source declares them with, and the columns
/// that order its rows (its primary key, or the row id).
public struct TransferTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        /// As declared in the source's schema (INTEGER, REAL, TEXT, BLOB, DATETIME…).
        public var declaredType: String

        public init(name: String, declaredType: String) {
            self.name = name
            self.declaredType = declaredType
        }
    }

    public var name: String
    public var columns: [Column]
    /// Indexes into `columns` of the ordering key.
    public var key: [Int]

    public init(name: String, columns: [Column], key: [Int]) {
        self.name = name
        self.columns = columns
        self.key = key
    }
}

/// A store a deployment can be moved out of.
public protocol TransferSource: Sendable {
    /// Every table that holds the deployment's data, parents before the tables referring to them.
    func transferTables() async throws -> [TransferTable]
    /// Up to `limit` rows of `table` ordered by its key, after the row whose key is `after`.
    func transferRows(_ table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]]
}

/// A store a deployment can be moved into: it takes every table in one transaction (all or
/// nothing), and reads its copy back in the source's representation for the comparison.
public protocol TransferTarget: Sendable {
    /// Refuses (``StoreConflict``) unless the store holds no data in any of `tables`; then copies
    /// every row of `source`, and sets its own counters (sequences) past the copied IDs.
    func receiveTransfer(_ tables: [TransferTable], from source: any TransferSource, batchSize: Int,
                         progress: @escaping @Sendable (String, Int) -> Void) async throws
    func transferRows(_ table: TransferTable, after: [TransferValue]?, limit: Int) async throws -> [[TransferValue]]
}

/// What a move found, table by table: rows and a checksum on each side.
public struct TransferReport: Sendable {
    public struct Table: Sendable {
        public var name: String
        public var sourceRows: Int
        public var targetRows: Int
        public var sourceChecksum: String
        public var targetChecksum: String
        public var matches: Bool { sourceRows == targetRows && sourceChecksum == targetChecksum }
    }

    public var tables: [Table]
    public var seconds: Double
    public var matches: Bool { tables.allSatisfy(\.matches) }
    public var rows: Int { tables.reduce(0) { $0 + $1.sourceRows } }
}

/// Moves a deployment: copies every table of `source` into the empty `target` in one transaction,
/// then reads both sides again and compares each table's row count and checksum.
public struct StoreTransfer: Sendable {
    public let source: any TransferSource
    public let target: any TransferTarget
    public var batchSize: Int

    public init(source: any TransferSource, target: any TransferTarget, batchSize: Int = 10_000) {
        self.source = source
        self.target = target
        self.batchSize = batchSize
    }

    public func run(progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws -> TransferReport {
        let started = Date()
        let tables = try await source.transferTables()
        try await target.receiveTransfer(tables, from: source, batchSize: batchSize, progress: progress)
        var report: [TransferReport.Table] = []
        for table in tables {
            progress("checking \(table.name)", 0)
            // Both sides at once: two databases, two cores.
            async let sourceSide = Self.checksum(table, in: source.transferRows, batchSize: batchSize)
            async let targetSide = Self.checksum(table, in: target.transferRows, batchSize: batchSize)
            let ((sourceRows, sourceSum), (targetRows, targetSum)) = try await (sourceSide, targetSide)
            report.append(.init(name: table.name, sourceRows: sourceRows, targetRows: targetRows, sourceChecksum: sourceSum, targetChecksum: targetSum))
        }
        return TransferReport(tables: report, seconds: Date().timeIntervalSince(started))
    }

    /// Row count and an order-independent checksum: the sum of each row's SHA-256 (its first 16
    /// bytes as two 64-bit lanes), so the two backends may page through a table in their own order.
    public static func checksum(_ table: TransferTable, in rows: (TransferTable, [TransferValue]?, Int) async throws -> [[TransferValue]],
                                batchSize: Int) async throws -> (Int, String) {
        var count = 0
        var lanes: (UInt64, UInt64) = (0, 0)
        var after: [TransferValue]?
        while true {
            let page = try await rows(table, after, batchSize)
            for row in page {
                let digest = Array(SHA256.hash(data: encode(row)))
                lanes.0 &+= digest[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
                lanes.1 &+= digest[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
            }
            count += page.count
            guard page.count == batchSize, let last = page.last else { break }
            after = table.key.map { last[$0] }
        }
        return (count, String(format: "%016llx%016llx", lanes.0, lanes.1))
    }

    /// An unambiguous byte encoding of a row: a tag and a length before every value.
    static func encode(_ row: [TransferValue]) -> Data {
        var data = Data()
        func append(_ tag: UInt8, _ bytes: some Collection<UInt8>) {
            data.append(tag)
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: bytes)
        }
        for value in row {
            switch value {
            case .null: append(0, [])
            case .integer(let i): append(1, withUnsafeBytes(of: i.bigEndian) { Array($0) })
            case .real(let r): append(2, withUnsafeBytes(of: r.bitPattern.bigEndian) { Array($0) })
            case .text(let t): append(3, Array(t.utf8))
            case .blob(let b): append(4, b)
            }
        }
        return data
    }
}
