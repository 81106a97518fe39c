import Foundation
import Synchronization

/// A stored row its reader could not make sense of (written by an older version, by hand, or
/// through a hole in validation since closed). One such row must not stop the server: the reader
/// skips it, records it here, and everything else is served; `/readyz` reports the server as
/// degraded, and the log names each row, until the row is repaired.
public struct UnreadableRow: Sendable, Hashable, Codable, CustomStringConvertible {
    public var table: String
    /// The row's key as stored.
    public var key: String
    public var reason: String

    public init(table: String, key: String, reason: String) {
        self.table = table
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(table) \(key): \(reason)" }
}

/// The unreadable rows a store met in its last read of each table.
public final class UnreadableRows: Sendable {
    private let rows = Mutex<[String: [UnreadableRow]]>([:])

    public init() {}

    /// Replaces what is known of `table` with what the read that just ended met.
    public func read(_ table: String, found: [UnreadableRow]) {
        rows.withLock { $0[table] = found.isEmpty ? nil : found }
    }

    public var all: [UnreadableRow] { rows.withLock { table in table.keys.sorted().flatMap { table[$0] ?? [] } } }

    /// Reads each row with `decode`; rows it refuses are skipped and recorded under `table`.
    public func decode<Raw, Value>(_ table: String, _ raws: [Raw], key: (Raw) -> String, _ decode: (Raw) throws -> Value) -> [Value] {
        var values: [Value] = []
        var bad: [UnreadableRow] = []
        values.reserveCapacity(raws.count)
        for raw in raws {
            do {
                values.append(try decode(raw))
            } catch {
                bad.append(UnreadableRow(table: table, key: key(raw), reason: "\(error)"))
            }
        }
        read(table, found: bad)
        return values
    }
}

/// Stores say which rows they could not read (see ``UnreadableRows``).
public protocol ReadHealthStore: Sendable {
    var unreadableRows: UnreadableRows { get }
}

/// Why a stored dictionary row cannot be read.
public struct UnreadableValue: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension CalendarDay {
    /// A `calendar_day` row as both stores keep it.
    public static func stored(day: String, kind: String, name: String) throws -> CalendarDay {
        guard let d = CivilDay(iso: day) else { throw UnreadableValue("the day \(day) is not a date from \(CivilDay.supportedYears.lowerBound) to \(CivilDay.supportedYears.upperBound)") }
        guard let k = Kind(rawValue: kind) else { throw UnreadableValue("unknown kind \(kind)") }
        return CalendarDay(day: d, kind: k, name: name)
    }
}

/// How long the store's statements take, for whoever watches (the server's `/metrics`). Stores
/// report each statement (SQLite) or transaction (PostgreSQL) with a kind (`select`, `insert`,
/// `transaction` …); nothing is measured until someone observes.
public final class StoreTimings: Sendable {
    /// The observer in a box of its own: a closure kept directly in the generic `Mutex` is
    /// re-abstracted on every `withLock` and written back wrapped once more, so each statement
    /// lengthened a chain of thunks until releasing it overflowed the stack.
    final class Observer: Sendable {
        let record: @Sendable (String, Double) -> Void
        init(_ record: @escaping @Sendable (String, Double) -> Void) { self.record = record }
    }

    private let sink = Mutex<Observer?>(nil)
    private let observed = Atomic<Bool>(false)

    public init() {}

    public func observe(_ record: @escaping @Sendable (_ kind: String, _ seconds: Double) -> Void) {
        let observer = Observer(record)
        sink.withLock { $0 = observer }
        observed.store(true, ordering: .releasing)
    }

    public var isObserved: Bool { observed.load(ordering: .acquiring) }

    public func record(_ kind: String, seconds: Double) {
        guard isObserved, let observer = sink.withLock({ $0 }) else { return }
        observer.record(kind, seconds)
    }

    /// `select`, `insert`, `update`, `delete` or `other`, from a statement's first word.
    public static func kind(ofSQL sql: String) -> String {
        var word = ""
        for scalar in sql.unicodeScalars {
            if scalar.properties.isWhitespace { if word.isEmpty { continue } else { break } }
            word.unicodeScalars.append(scalar)
            if word.count > 6 { break }
        }
        switch word.lowercased() {
        case "select", "with": return "select"
        case "insert": return "insert"
        case "update": return "update"
        case "delete": return "delete"
        default: return "other"
        }
    }
}

/// Stores say how long their statements take (see ``StoreTimings``).
public protocol TimedStore: Sendable {
    var timings: StoreTimings { get }
}

/// The store as operations see it (readiness, rows left out, statement times), so that the HTTP
/// layer asks a service rather than the store.
public struct StoreHealth: Sendable {
    let store: any SettingsStore & ReadHealthStore & TimedStore

    public init(store: any SettingsStore & ReadHealthStore & TimedStore) { self.store = store }

    /// Whether the store answers a read; its error when not.
    public func check() async -> (any Error)? {
        do {
            _ = try await store.setting("schema")
            return nil
        } catch {
            return error
        }
    }

    public var unreadableRows: [UnreadableRow] { store.unreadableRows.all }

    /// `sqlite`, `postgres`: the metrics' label.
    public var storeName: String { String(describing: type(of: store)).replacingOccurrences(of: "Store", with: "").lowercased() }

    public func observeTimings(_ record: @escaping @Sendable (_ kind: String, _ seconds: Double) -> Void) { store.timings.observe(record) }
}
