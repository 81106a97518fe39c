import Foundation
import GeoKit
import Synchronization

/// The standard address library of the deployment: imports, matching, and the grid of every
/// address kept up to date with the boundaries.
public final class AddressService: Sendable {
    public let store: any CityBrainStore
    public let regions: RegionService
    private let state: Mutex<Library>
    private let gate = WriteGate()
    /// Names above the township that texts carry (the deployment's province, city and districts).
    private let administrativeNames: [(String, PlaceNameKind)]

    struct Library: Sendable {
        var addresses: [StandardAddress] = []
        var byCode: [String: Int] = [:]
        var aliases: [PlaceAlias] = []
        var matcher: AddressMatcher?
        /// The addresses' positions, for area queries (identifiers are indexes into `addresses`).
        var points: PackedPointIndex?
        var batch: Int64?
        /// Grid re-assignments since load (they change the library without a batch).
        var reassignments = 0
    }

    public init(store: any CityBrainStore, regions: RegionService, administrativeNames: [(String, PlaceNameKind)] = []) {
        self.store = store
        self.regions = regions
        self.administrativeNames = administrativeNames
        self.state = Mutex(Library())
        regions.onTerritoryChange { [weak self] in try await self?.reassignGrids() }
    }

    public var count: Int { state.withLock { $0.addresses.count } }

    /// Every address, and a version that changes whenever the library or a grid changes.
    public var snapshot: (addresses: [StandardAddress], version: String) {
        state.withLock { ($0.addresses, "\($0.batch ?? 0).\($0.reassignments)") }
    }

    public func address(_ code: String) -> StandardAddress? {
        state.withLock { lib in lib.byCode[code].map { lib.addresses[$0] } }
    }

    /// The library as it is now, for resolving many codes and texts without taking the lock for each
    /// (the rows of an import, on several threads).
    public func lookup() -> AddressLookup {
        state.withLock { AddressLookup(addresses: $0.addresses, byCode: $0.byCode, matcher: $0.matcher) }
    }

    /// Loads the library, corrects the grid of addresses whose boundaries changed while it was not
    /// running, and builds the matcher.
    public func load() async throws {
        try await gate.run {
            let batch = try await self.store.latestImportBatchID(.addresses)
            let addresses = try await self.store.loadAddresses()
            let aliases = try await self.store.loadPlaceAliases()
            self.install(addresses, aliases: aliases, batch: batch)
            _ = try await self.reassignNow()
        }
    }

    private func install(_ addresses: [StandardAddress], aliases: [PlaceAlias], batch: Int64?) {
        var byCode: [String: Int] = [:]
        byCode.reserveCapacity(addresses.count)
        for (i, a) in addresses.enumerated() { byCode[a.code] = i }
        let matcher = addresses.isEmpty ? nil : AddressMatcher(addresses: addresses, aliases: aliases, administrativeNames: administrativeNames)
        let points = PackedPointIndex(addresses.enumerated().map { (Int64($0.offset), $0.element.coordinate) })
        state.withLock { $0 = Library(addresses: addresses, byCode: byCode, aliases: aliases, matcher: matcher, points: points, batch: batch) }
    }

    /// The addresses in use within `metres` of a point.
    public func addresses(within metres: Double, of centre: Coordinate) -> [StandardAddress] {
        let (addresses, points) = state.withLock { ($0.addresses, $0.points) }
        guard let points else { return [] }
        return points.identifiers(within: metres, of: centre).map { addresses[Int($0)] }.filter { $0.status == .inUse }
    }

    /// The addresses in use inside a polygon (its boundary included).
    public func addresses(in polygon: PreparedPolygon) -> [StandardAddress] {
        let (addresses, points) = state.withLock { ($0.addresses, $0.points) }
        guard let points else { return [] }
        return points.identifiers(in: polygon).map { addresses[Int($0)] }.filter { $0.status == .inUse }
    }

    public func match(_ text: String) -> AddressMatch {
        lookup().match(text)
    }

    /// Validates rows read by ``AddressRowReader`` and addresses given directly, and stores them:
    /// all or nothing, unless `keepGoing`. Rows whose content is unchanged are not written again.
    public func importAddresses(_ rows: [(line: Int, address: StandardAddress?, issues: [ImportIssue])], aliases: [PlaceAlias] = [],
                                options: AddressImportOptions) async throws -> AddressImportResult {
        try await gate.run {
            var issues = rows.flatMap(\.issues)
            var firstLine: [String: Int] = [:]
            var accepted: [StandardAddress] = []
            accepted.reserveCapacity(rows.count)
            let territory = self.regions.territory()
            for row in rows {
                guard var a = row.address else { continue }
                // The grid is the territory's answer, whoever built the address.
                a.gridCode = territory.grid(at: a.coordinate)?.code
                if a.gridCode == nil {
                    issues.append(ImportIssue(.error, line: row.line, column: options.column("longitude"), value: "\(a.coordinate.longitude), \(a.coordinate.latitude)",
                                              reason: "the coordinates lie outside every grid of the territory"))
                    continue
                }
                if let previous = firstLine[a.code] {
                    issues.append(ImportIssue(.error, line: row.line, column: options.column("code"), value: a.code, reason: "the code appears again (first on line \(previous))"))
                    continue
                }
                firstLine[a.code] = row.line
                accepted.append(a)
            }
            let rejectedLines = Set(issues.filter { $0.severity == .error }.map(\.line))
            if !rejectedLines.isEmpty && !options.keepGoing { throw AddressImportRejected(issues: issues) }
            accepted.removeAll { rejectedLines.contains(firstLine[$0.code]!) }

            let library = self.state.withLock { $0 }
            var inserted = 0, updated = 0, unchanged = 0
            var changed: [StandardAddress] = []
            for a in accepted {
                if let i = library.byCode[a.code] {
                    if library.addresses[i] == a { unchanged += 1 } else { updated += 1; changed.append(a) }
                } else {
                    inserted += 1
                    changed.append(a)
                }
            }
            let knownAliases = Set(library.aliases)
            let newAliases = aliases.filter { !knownAliases.contains($0) }
            guard !changed.isEmpty || !newAliases.isEmpty else {
                return AddressImportResult(inserted: 0, updated: 0, unchanged: unchanged, issues: issues, batch: nil)
            }
            let batch = try await self.store.saveAddresses(
                changed, aliases: newAliases,
                batch: ImportBatch(kind: "addresses", source: options.source, actor: options.actor, importedAt: Date(), recordCount: changed.count,
                                   note: "\(inserted) new, \(updated) updated, \(rejectedLines.count) rows rejected"),
                basedOnBatch: library.batch)
            // The new library: the old one with the changes applied.
            var addresses = library.addresses
            for a in changed {
                if let i = library.byCode[a.code] { addresses[i] = a } else { addresses.append(a) }
            }
            self.install(addresses, aliases: library.aliases + newAliases, batch: batch.id)
            return AddressImportResult(inserted: inserted, updated: updated, unchanged: unchanged, issues: issues, batch: batch)
        }
    }

    /// Puts every address in the grid its coordinates lie in under today's boundaries (run after a
    /// boundary import). Returns how many changed grid.
    @discardableResult
    public func reassignGrids() async throws -> Int {
        try await gate.run { try await self.reassignNow() }
    }

    private func reassignNow() async throws -> Int {
        let territory = regions.territory()
        let library = state.withLock { $0 }
        var changes: [(code: String, grid: RegionCode?)] = []
        var addresses = library.addresses
        for i in addresses.indices {
            let grid = territory.grid(at: addresses[i].coordinate)?.code
            if grid != addresses[i].gridCode {
                changes.append((addresses[i].code, grid))
                addresses[i].gridCode = grid
            }
        }
        guard !changes.isEmpty else { return 0 }
        try await store.updateAddressGrids(changes)
        state.withLock {
            $0.addresses = addresses
            $0.reassignments += 1
        }
        return changes.count
    }
}

/// A snapshot of the address library: codes and texts resolved without locks.
public struct AddressLookup: Sendable {
    let addresses: [StandardAddress]
    let byCode: [String: Int]
    let matcher: AddressMatcher?

    public func address(_ code: String) -> StandardAddress? {
        byCode[code].map { addresses[$0] }
    }

    /// The code, grid and status of an address, without copying the rest of it.
    public func reference(_ code: String) -> (reference: AddressReference, status: StandardAddress.Status)? {
        guard let i = byCode[code] else { return nil }
        return (AddressReference(code: addresses[i].code, gridCode: addresses[i].gridCode), addresses[i].status)
    }

    public func match(_ text: String) -> AddressMatch {
        guard let matcher else {
            return AddressMatch(query: text, parsed: AddressParser(gazetteer: Gazetteer()).parse(text), best: nil, runnersUp: [],
                                reason: "the address library is empty")
        }
        // The matcher keeps the addresses it was built with; grids may have moved since.
        var result = matcher.match(text)
        result.best = result.best.map { .init(address: address($0.address.code) ?? $0.address, score: $0.score) }
        result.runnersUp = result.runnersUp.map { .init(address: address($0.address.code) ?? $0.address, score: $0.score) }
        return result
    }
}

/// Which standard address a record sits at, and so its grid.
public struct AddressReference: Sendable, Hashable {
    public var code: String
    public var gridCode: RegionCode?

    public init(code: String, gridCode: RegionCode?) {
        self.code = code
        self.gridCode = gridCode
    }
}
