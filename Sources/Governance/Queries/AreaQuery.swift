import Foundation
import GeoKit
import Synchronization

/// An area on the map: a circle or a polygon.
public enum AreaShape: Sendable {
    case circle(centre: Coordinate, metres: Double)
    case polygon(MultiPolygon)
}

/// Who and what is inside an area, by grid: the answer to "which households are around the
/// incident?" that emergency command and daily work both ask.
public struct AreaCensusResult: Sendable {
    public struct Counts: Sendable, Hashable, Encodable {
        public var addresses = 0
        public var households = 0
        public var people = 0
        /// People carrying a tag (elderly living alone, disability …): who needs help first.
        public var vulnerable = 0
        public var enterprises = 0
        public var places = 0

        mutating func add(_ c: AddressCensus?) {
            addresses += 1
            guard let c else { return }
            households += c.households
            people += c.people
            vulnerable += c.vulnerable
            enterprises += c.enterprises
            places += c.places
        }
    }

    public struct GridCounts: Sendable {
        public var grid: RegionCode?
        public var name: String?
        public var counts: Counts
    }

    /// A person as area queries show them: masked, as the privacy rules require.
    public struct MaskedPerson: Sendable, Encodable {
        public var name: String
        public var idNumber: String
        public var sex: String?
        public var age: Int?
        public var vulnerable: Bool
        public var addressCode: String
        public var household: String?
    }

    public var totals: Counts
    public var grids: [GridCounts]
    public var addresses: [StandardAddress]
    public var people: [MaskedPerson]
    /// Whether the lists were cut at the limit.
    public var truncated: Bool
}

/// Area queries over the address index and a census of the registries per address (kept until the
/// registries change).
public final class AreaQueryService: Sendable {
    public let store: any CityBrainStore
    public let addresses: AddressService
    public let regions: RegionService
    public let vault: PersonalDataVault
    private let census = Mutex<(version: String, byAddress: [String: AddressCensus])?>(nil)

    public init(store: any CityBrainStore, addresses: AddressService, regions: RegionService, vault: PersonalDataVault) {
        self.store = store
        self.addresses = addresses
        self.regions = regions
        self.vault = vault
    }

    func censusByAddress() async throws -> [String: AddressCensus] {
        var version = ""
        for family in [ImportFamily.people, .enterprises, .places] { version += "\(try await store.latestImportBatchID(family) ?? 0)." }
        if let cached = census.withLock({ $0 }), cached.version == version { return cached.byAddress }
        let rows = try await store.addressCensus()
        let byAddress = Dictionary(rows.map { ($0.addressCode, $0) }, uniquingKeysWith: { a, _ in a })
        census.withLock { $0 = (version, byAddress) }
        return byAddress
    }

    /// Counts by grid and in total; with `listPeople`, the people too (masked), up to `limit` per list.
    /// `scope`: only addresses in this territory count (nil: the whole library, for the console).
    public func query(_ shape: AreaShape, listPeople: Bool, limit: Int, within scope: TerritoryScope? = nil) async throws -> AreaCensusResult {
        var found: [StandardAddress]
        switch shape {
        case .circle(let centre, let metres): found = addresses.addresses(within: metres, of: centre)
        case .polygon(let m): found = addresses.addresses(in: PreparedPolygon(m))
        }
        if let scope, !scope.includesAll { found = found.filter { scope.contains(address: $0) } }
        let census = try await censusByAddress()
        var totals = AreaCensusResult.Counts()
        var byGrid: [RegionCode?: AreaCensusResult.Counts] = [:]
        for a in found {
            let c = census[a.code]
            totals.add(c)
            byGrid[a.gridCode, default: .init()].add(c)
        }
        let territory = regions.territory()
        let grids = byGrid.map { grid, counts in
            AreaCensusResult.GridCounts(grid: grid, name: grid.flatMap { territory.region($0)?.name }, counts: counts)
        }.sorted { ($0.grid?.rawValue ?? "") < ($1.grid?.rawValue ?? "") }
        let sorted = found.sorted { $0.code < $1.code }
        var people: [AreaCensusResult.MaskedPerson] = []
        var truncated = sorted.count > limit
        if listPeople {
            let withPeople = sorted.filter { (census[$0.code]?.people ?? 0) > 0 }.map(\.code)
            var start = 0
            while start < withPeople.count && people.count < limit {
                let slice = Array(withPeople[start..<min(withPeople.count, start + 500)])
                for sealed in try await store.registryEntries(.person, addressCodes: slice) {
                    let e = try vault.opened(sealed)
                    guard people.count < limit else { truncated = true; break }
                    let id = e.fields["id_number"].flatMap { try? CitizenID($0) }
                    people.append(.init(
                        name: maskedPersonName(e.fields["name"] ?? ""), idNumber: id?.masked ?? "", sex: e.fields["sex"],
                        age: id?.age(), vulnerable: !(e.fields["tags"] ?? "").isEmpty, addressCode: e.addressCode, household: e.fields["household"]))
                }
                start += 500
            }
            if people.count < totals.people && people.count >= limit { truncated = true }
        }
        return AreaCensusResult(totals: totals, grids: grids, addresses: Array(sorted.prefix(limit)), people: people, truncated: truncated)
    }
}
