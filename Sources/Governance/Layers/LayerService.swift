import Foundation
import GeoKit
import Synchronization

/// What a layer shows in a map view: clusters at low zoom, addresses at high zoom.
public struct LayerFeatures: Sendable {
    public struct Item: Sendable {
        public var coordinate: Coordinate
        /// Members at this point (a cluster's total, or an address's).
        public var count: Int
        /// For a single address: its code and standard text.
        public var addressCode: String?
        public var address: String?
        /// For a cluster: the box of its points (zoom to it).
        public var box: BoundingBox?
    }

    public var layer: LayerDefinition
    /// Members of the whole layer.
    public var total: Int
    public var clustered: Bool
    public var items: [Item]
    /// For a layer of people read without `personal-data.reveal`: cells with fewer members than this
    /// are left out (and out of every coarser count and the total, so no difference between two
    /// answers tells them).
    public var suppressedBelow: Int?
}

/// The thematic layers: the built-in 26 and those administrators define, each drawn from an index
/// built when first asked for and rebuilt when the data beneath changes.
public final class LayerService: Sendable {
    public let store: any CityBrainStore
    public let addresses: AddressService
    private let custom = Mutex<[LayerDefinition]>([])
    private let cache = Mutex<[String: (version: String, index: LayerIndex)]>([:])

    /// At this zoom and below, clusters; above it, addresses.
    public static let clusterZoom = 15
    /// Layers of people are never shown finer than this (cells of about 600 m): who lives at which
    /// door with which tag is personal data, for the access rules to release, not for a map layer.
    public static let personalZoom = 14
    /// A view with more addresses than this is clustered whatever the zoom.
    public static let maximumPoints = 5_000

    struct LayerIndex: Sendable {
        var codes: [String]
        var texts: [String]
        var coordinates: [Coordinate]
        var weights: [Int]
        var pyramid: ClusterPyramid
        /// Person layers: the cells of ``personalZoom`` with at least ``minimumPersonCount`` members, and
        /// the coarser levels summed from those alone.
        var suppressed: ClusterPyramid?
        var points: PackedPointIndex
        var total: Int
    }

    /// People picked by hand are kept sealed in the layer's rule and found by blind index.
    public let vault: PersonalDataVault

    /// The fewest people a cell of a person layer may show to one who may not reveal personal data
    /// (k-anonymity: a cell of one elderly person living alone is that person).
    public let minimumPersonCount: Int

    public init(store: any CityBrainStore, addresses: AddressService, vault: PersonalDataVault, minimumPersonCount: Int = 5) {
        self.store = store
        self.addresses = addresses
        self.vault = vault
        self.minimumPersonCount = max(1, minimumPersonCount)
    }

    static let sealedKeyField = "layer.key"

    public func load() async throws {
        let layers = try await store.loadLayers()
        custom.withLock { $0 = layers }
    }

    public var definitions: [LayerDefinition] { BuiltInLayers.all + custom.withLock { $0 } }

    public func definition(_ id: String) -> LayerDefinition? { definitions.first { $0.id == id } }

    /// Adds or replaces an administrator's layer.
    public func define(_ layer: LayerDefinition, actor: String) async throws {
        var layer = try layer.validated()
        layer.builtIn = false
        if let kind = layer.subject.registry, RegistrySchema.keyIsPersonal(kind) {
            layer.rule.keys = layer.rule.keys.map { PersonalDataVault.isSealed($0) ? $0 : vault.seal($0, field: Self.sealedKeyField) }
        }
        guard !BuiltInLayers.all.contains(where: { $0.id == layer.id }) else {
            throw LayerDefinition.Invalid(reason: "\(layer.id) is a built-in layer")
        }
        try await store.saveLayer(layer, audit: AuditRecord(actor: actor, action: "layer.define", target: "layer:\(layer.id)"))
        try await load()
        cache.withLock { $0[layer.id] = nil }
    }

    public func remove(_ id: String, actor: String) async throws -> Bool {
        guard !BuiltInLayers.all.contains(where: { $0.id == id }) else { throw LayerDefinition.Invalid(reason: "\(id) is a built-in layer") }
        let removed = try await store.deleteLayer(id, audit: AuditRecord(actor: actor, action: "layer.remove", target: "layer:\(id)"))
        try await load()
        cache.withLock { $0[id] = nil }
        return removed
    }

    /// The layer's features in the box at the zoom of the map.
    public func features(_ id: String, in box: BoundingBox, zoom: Int, for principal: Principal) async throws -> LayerFeatures? {
        try principal.require(.layerRead)
        guard let layer = definition(id) else { return nil }
        let index = try await index(for: layer)
        var result = LayerFeatures(layer: layer, total: index.total, clustered: true, items: [])
        if layer.personal {
            // Never finer than a cell of about 600 m, placed at the cell's centre; small cells only
            // for those who may reveal personal data anyway.
            var pyramid = index.pyramid
            if !principal.may(.personalDataReveal) {
                pyramid = index.suppressed ?? pyramid
                result.total = pyramid.total
                result.suppressedBelow = minimumPersonCount
            }
            result.items = pyramid.clusters(in: box, zoom: min(zoom, Self.personalZoom)).map {
                .init(coordinate: $0.coordinate, count: $0.count, addressCode: nil, address: nil, box: nil)
            }
            return result
        }
        if zoom > Self.clusterZoom {
            var found: [Int] = []
            index.points.forEach(in: box) { found.append($0) }
            if found.count <= Self.maximumPoints {
                result.clustered = false
                result.items = found.map { k in
                    let i = Int(index.points.identifiers[k])
                    return .init(coordinate: index.coordinates[i], count: index.weights[i], addressCode: index.codes[i], address: index.texts[i], box: nil)
                }
                return result
            }
        }
        result.items = index.pyramid.clusters(in: box, zoom: min(zoom, Self.clusterZoom)).map {
            .init(coordinate: $0.coordinate, count: $0.count, addressCode: nil, address: nil, box: $0.box)
        }
        return result
    }

    private func index(for layer: LayerDefinition) async throws -> LayerIndex {
        let (all, addressVersion) = addresses.snapshot
        var version = addressVersion + "|" + String(describing: layer.rule.hashValue)
        if let kind = layer.subject.registry {
            version += "|" + String(try await store.latestImportBatchID(ImportFamily.of(kind)) ?? 0)
        }
        if let cached = cache.withLock({ $0[layer.id] }), cached.version == version { return cached.index }

        var members: [(address: StandardAddress, weight: Int)] = []
        if let kind = layer.subject.registry {
            // The store matches personal tags and keys by their blind indexes.
            var rule = layer.rule
            rule.tags = vault.storageTags(kind, tags: rule.tags)
            rule.keys = try rule.keys.map { key in
                let clear = PersonalDataVault.isSealed(key) ? try vault.open(key, field: Self.sealedKeyField) : key
                return vault.storageKey(kind, key: clear)
            }
            for (code, count) in try await store.registryAddressCounts(kind, rule: rule) {
                if let a = addresses.address(code) { members.append((a, count)) }
            }
        } else if layer.rule.keys.isEmpty {
            members = all.filter { $0.status == .inUse }.map { ($0, 1) }
        } else {
            members = layer.rule.keys.compactMap { addresses.address($0) }.map { ($0, 1) }
        }
        let pyramid = ClusterPyramid(points: members.map { ($0.address.coordinate, $0.weight) }, maximumZoom: layer.personal ? Self.personalZoom : Self.clusterZoom,
                                     placement: layer.personal ? .cellCentre : .mean)
        var suppressed: ClusterPyramid?
        if layer.personal {
            let kept = pyramid.cells(zoom: Self.personalZoom).filter { $0.count >= minimumPersonCount }.map { cell in
                let box = ClusterPyramid.cellBox(cell.key, zoom: Self.personalZoom)
                return (Coordinate(longitude: (box.minLongitude + box.maxLongitude) / 2, latitude: (box.minLatitude + box.maxLatitude) / 2), cell.count)
            }
            suppressed = ClusterPyramid(points: kept, maximumZoom: Self.personalZoom, placement: .cellCentre)
        }
        let index = LayerIndex(
            codes: members.map(\.address.code),
            texts: members.map { $0.address.elements.localText },
            coordinates: members.map(\.address.coordinate),
            weights: members.map(\.weight),
            pyramid: pyramid,
            suppressed: suppressed,
            points: PackedPointIndex(members.enumerated().map { (Int64($0.offset), $0.element.address.coordinate) }),
            total: members.reduce(0) { $0 + $1.weight })
        cache.withLock { $0[layer.id] = (version, index) }
        return index
    }
}
