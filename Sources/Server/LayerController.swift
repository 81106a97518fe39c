import Foundation
import GeoKit
import Governance
import Hummingbird

/// The thematic layers of the one map.
struct LayerController {
    let layers: LayerService

    /// Layers draw counts per address and clusters, never a person: they are shown for the whole
    /// district to anyone who may read layers (people layers stop at ``LayerService/personalZoom``).
    func addRoutes(to routes: PolicedRoutes) {
        routes.get("layers", .permission(.layerRead), use: list)
        routes.get("layers/{id}/features", .permission(.layerRead), use: features)
    }

    struct LayerBody: Encodable {
        var id: String
        var name: String
        var englishName: String
        var subject: String
        var builtIn: Bool
        var rule: LayerRule
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["items": layers.definitions.map {
            LayerBody(id: $0.id, name: $0.name, englishName: $0.englishName, subject: $0.subject.rawValue, builtIn: $0.builtIn, rule: $0.rule)
        }])
    }

    /// `bbox=west,south,east,north` (in the `crs` asked for, WGS-84 by default) and `zoom` (0–22):
    /// clusters up to zoom 15, addresses above.
    @Sendable func features(request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        let crs = RegionController.coordinateSystem(q["crs"].map(String.init), errors: &errors)
        var box: BoundingBox?
        if let text = q["bbox"].map(String.init) {
            let n = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            if n.count == 4, n.allSatisfy(\.isFinite), n[0] < n[2], n[1] < n[3], (-180...180).contains(n[0]), (-180...180).contains(n[2]),
               (-90...90).contains(n[1]), (-90...90).contains(n[3]) {
                let sw = CoordinateTransform.toWGS84(Coordinate(longitude: n[0], latitude: n[1]), from: crs)
                let ne = CoordinateTransform.toWGS84(Coordinate(longitude: n[2], latitude: n[3]), from: crs)
                box = BoundingBox(minLongitude: sw.longitude, minLatitude: sw.latitude, maxLongitude: ne.longitude, maxLatitude: ne.latitude)
            } else {
                errors.append(.init(field: "bbox", reason: "west,south,east,north in degrees, west < east and south < north"))
            }
        } else {
            errors.append(.init(field: "bbox", reason: "required: west,south,east,north"))
        }
        var zoom = 0
        if let text = q["zoom"].map(String.init) {
            if let z = Int(text), (0...22).contains(z) { zoom = z } else { errors.append(.init(field: "zoom", reason: "an integer from 0 to 22")) }
        } else {
            errors.append(.init(field: "zoom", reason: "required: the zoom level of the map"))
        }
        guard errors.isEmpty, let box else { throw Problem.invalid(errors) }
        guard let result = try await layers.features(id, in: box, zoom: zoom, for: try context.requirePrincipal()) else { throw Problem.notFound("no layer \(id)") }

        var w = JSONWriter(reservingCapacity: result.items.count * 160)
        w.raw("{\"type\":\"FeatureCollection\",\"layer\":")
        w.string(result.layer.id)
        w.raw(",\"name\":")
        w.string(result.layer.name)
        w.raw(",\"total\":")
        w.number(Double(result.total))
        w.raw(",\"clustered\":")
        result.clustered ? w.raw("true") : w.raw("false")
        if let k = result.suppressedBelow {
            w.raw(",\"suppressedBelow\":")
            w.number(Double(k))
        }
        w.raw(",\"features\":[")
        for (i, item) in result.items.enumerated() {
            if i > 0 { w.raw(",") }
            let c = CoordinateTransform.fromWGS84(item.coordinate, to: crs)
            w.raw("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[")
            w.number((c.longitude * 1e7).rounded() / 1e7)
            w.raw(",")
            w.number((c.latitude * 1e7).rounded() / 1e7)
            w.raw("]},\"properties\":{\"count\":")
            w.number(Double(item.count))
            if let code = item.addressCode {
                w.raw(",\"addressCode\":")
                w.string(code)
                w.raw(",\"address\":")
                w.string(item.address ?? "")
            }
            if let b = item.box, item.count > 1 {
                w.raw(",\"bbox\":[")
                w.number(b.minLongitude)
                w.raw(",")
                w.number(b.minLatitude)
                w.raw(",")
                w.number(b.maxLongitude)
                w.raw(",")
                w.number(b.maxLatitude)
                w.raw("]")
            }
            w.raw("}}")
        }
        w.raw("]}")
        return JSONResponse.raw(w.bytes, contentType: "application/geo+json")
    }
}
