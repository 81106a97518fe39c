import Foundation
import GeoKit

/// The real data the demo is built on (see Resources/yuhang/SOURCE.md for source and licence).
struct DemoSourceData: Sendable {
    struct Street: Sendable, Decodable {
        var name: String
        var communities: [String]
    }

    var districtName: String
    var districtCode: String
    var streets: [Street]
    /// The outlines of today's 330110 and 330113, whose union is the 2019 district.
    var outlines: [(code: String, outline: MultiPolygon)]

    struct Divisions: Decodable {
        var district: String
        var district_code: String
        var streets: [Street]
    }

    static func load() throws -> DemoSourceData {
        guard let folder = Bundle.module.url(forResource: "Resources", withExtension: nil)?.appendingPathComponent("yuhang") else {
            throw DemoDataError("the demo data folder is missing from the DemoData bundle")
        }
        let divisions = try JSONDecoder().decode(Divisions.self, from: Data(contentsOf: folder.appendingPathComponent("divisions.json")))
        let features = try GeoJSON.decodeFeatures(Data(contentsOf: folder.appendingPathComponent("outline.geojson")))
        var outlines: [(String, MultiPolygon)] = []
        for f in features {
            guard let code = f.properties["adcode"]?.textValue, let m = f.geometry?.asMultiPolygon else {
                throw DemoDataError("outline.geojson: a feature without adcode or polygon")
            }
            outlines.append((code, m))
        }
        return DemoSourceData(districtName: divisions.district, districtCode: divisions.district_code, streets: divisions.streets, outlines: outlines.sorted { $0.0 < $1.0 })
    }
}

public struct DemoDataError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
