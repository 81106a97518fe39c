import Foundation
import GeoKit
import Governance

/// A region in API responses.
struct RegionSummary: Encodable {
    var code: String
    var name: String
    var level: String
    var parent: String?

    init(_ r: Region) {
        code = r.code.rawValue
        name = r.name
        level = r.level.rawValue
        parent = r.parentCode?.rawValue
    }
}

struct RegionDetail: Encodable {
    var code: String
    var shortCode: String
    var name: String
    var level: String
    var levelName: String
    var parent: String?
    var validFrom: String
    var validTo: String?
    var sourceCrs: String
    var areaSquareMetres: Double
    /// [west, south, east, north] in WGS-84.
    var bbox: [Double]
    /// A point inside the region, for labels and map centring.
    var labelPoint: Position?
    var childCount: Int
    var gridWorkerCount: Int?
    var versions: [Version]
    var links: Links

    struct Version: Encodable {
        var validFrom: String
        var validTo: String?
    }

    struct Links: Encodable {
        var `self`: String
        var children: String
        var geojson: String
    }

    init(_ r: Region, territory: Territory, catalog: RegionCatalog, workers: GridWorkerDirectory) {
        code = r.code.rawValue
        shortCode = r.code.shortForm
        name = r.name
        level = r.level.rawValue
        levelName = r.level.chineseName
        parent = r.parentCode?.rawValue
        validFrom = isoTimestamp(r.validFrom)
        validTo = r.validTo.map(isoTimestamp)
        sourceCrs = r.sourceCoordinateSystem.rawValue
        areaSquareMetres = (r.geometry.area * 10).rounded() / 10
        let box = r.geometry.boundingBox
        bbox = box.map { [$0.minLongitude, $0.minLatitude, $0.maxLongitude, $0.maxLatitude] } ?? []
        labelPoint = r.geometry.representativePoint.map(Position.init)
        childCount = territory.children(of: r.code).count
        gridWorkerCount = r.level == .grid ? workers.workers(of: r.code).count : nil
        versions = catalog.history(of: r.code).map { Version(validFrom: isoTimestamp($0.validFrom), validTo: $0.validTo.map(isoTimestamp)) }
        let base = "/api/v1/regions/\(r.code.rawValue)"
        links = Links(self: base, children: base + "/children", geojson: base + ".geojson")
    }
}

struct Position: Encodable {
    var lat: Double
    var lon: Double
    init(_ c: Coordinate) {
        lat = c.latitude
        lon = c.longitude
    }
}
