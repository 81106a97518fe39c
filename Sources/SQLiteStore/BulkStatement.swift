import Foundation
import GRDB
import GRDBSQLite

/// A prepared statement executed for many rows by binding values directly through SQLite's C API.
///
/// GRDB's `StatementArguments` box every value in an existential and format dates with a
/// `DateFormatter`; for the millions of rows of a district import that costs more than SQLite
/// itself. Inside the transaction GRDB opened, this binds text, numbers and nulls as they are.
struct BulkStatement {
    private let statement: Statement
    private let handle: SQLiteStatement
    private var index: Int32 = 0

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        self.handle = statement.sqliteStatement
    }

    mutating func text(_ value: String?) {
        index += 1
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        let i = index, h = handle
        value.withUTF8 { buffer in
            if let base = buffer.baseAddress {
                _ = sqlite3_bind_text(h, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buffer.count), Self.transient)
            } else {
                _ = sqlite3_bind_text(h, i, "", 0, Self.transient)
            }
        }
    }

    mutating func double(_ value: Double?) {
        index += 1
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    mutating func integer(_ value: Int64?) {
        index += 1
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs the statement with the values bound since the last run.
    mutating func step(_ db: Database) throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            index = 0
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}

/// Dates as GRDB writes them (UTC, "yyyy-MM-dd HH:mm:ss.SSS"), formatted once per distinct date.
struct DateText {
    private var cache: [Date: String] = [:]

    mutating func callAsFunction(_ date: Date) -> String {
        if let s = cache[date] { return s }
        let s = date.databaseValue.storage.value as? String ?? String(describing: date.databaseValue)
        cache[date] = s
        return s
    }
}
