import Foundation
import GeoKit
import Governance
import Hummingbird

/// `POST /api/v1/query/within`: who and what is inside a circle or polygon, by grid.
struct AreaQueryController {
    let areas: AreaQueryService
    let store: any CityBrainStore
    static let maximumRadius = 10_000.0
    static let maximumArea = 100e6

    /// Counts and lists only from the account's territory.
    func addRoutes(to routes: PolicedRoutes) {
        routes.post("query/within", .permission(.registryRead), use: within)
    }

    struct Body: Encodable {
        struct Grid: Encodable {
            var grid: String?
            var name: String?
            var counts: AreaCensusResult.Counts
        }
        struct Address: Encodable {
            var code: String
            var address: String
            var position: Position
            var grid: String?
        }
        var totals: AreaCensusResult.Counts
        var grids: [Grid]
        var addresses: [Address]?
        var people: [AreaCensusResult.MaskedPerson]?
        var truncated: Bool
    }

    @Sendable func within(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let root: JSONValue
        do { root = try JSONParser.parse(Data(buffer: body)) } catch {
            throw Problem.invalid([.init(field: "body", reason: "invalid JSON at line \(error.line), column \(error.column): \(error.reason)")])
        }
        guard let o = root.objectValue else { throw Problem.invalid([.init(field: "body", reason: "a JSON object was expected")]) }
        var errors: [Problem.FieldError] = []
        let crs = RegionController.coordinateSystem(o["crs"]?.stringValue, errors: &errors)
        var include = Set<String>()
        if let list = o["include"] {
            guard let items = list.arrayValue?.compactMap(\.stringValue), items.allSatisfy({ ["addresses", "people"].contains($0) }) else {
                throw Problem.invalid([.init(field: "include", reason: "a list of \"addresses\" and \"people\"")])
            }
            include = Set(items)
        }
        var limit = 500
        if let l = o["limit"] {
            if let n = l.doubleValue, n == n.rounded(), (1...5000).contains(n) { limit = Int(n) } else { errors.append(.init(field: "limit", reason: "an integer from 1 to 5000")) }
        }
        var shape: AreaShape?
        if let circle = o["circle"]?.objectValue {
            let lat = circle["lat"]?.doubleValue, lon = circle["lon"]?.doubleValue, radius = circle["radius"]?.doubleValue
            if lat == nil || !(-90...90).contains(lat!) { errors.append(.init(field: "circle.lat", reason: "a latitude between -90 and 90")) }
            if lon == nil || !(-180...180).contains(lon!) { errors.append(.init(field: "circle.lon", reason: "a longitude between -180 and 180")) }
            if radius == nil || !(1...Self.maximumRadius).contains(radius!) { errors.append(.init(field: "circle.radius", reason: "metres, from 1 to \(Int(Self.maximumRadius))")) }
            if let lat, let lon, let radius {
                shape = .circle(centre: CoordinateTransform.toWGS84(Coordinate(longitude: lon, latitude: lat), from: crs), metres: radius)
            }
        } else if let polygon = o["polygon"] {
            do throws(GeoJSONError) {
                guard let m = try GeoJSON.decodeGeometry(polygon, featureIndex: nil, path: "polygon").asMultiPolygon else {
                    throw GeoJSONError(path: "polygon", reason: "a Polygon or MultiPolygon geometry is required")
                }
                if let defect = PolygonValidation.defects(of: m).first {
                    errors.append(.init(field: "polygon", reason: defect.defect.description))
                } else {
                    let wgs = m.mapCoordinates { CoordinateTransform.toWGS84($0, from: crs) }
                    if wgs.area > Self.maximumArea { errors.append(.init(field: "polygon", reason: "at most \(Int(Self.maximumArea / 1e6)) km²")) }
                    shape = .polygon(wgs)
                }
            } catch {
                errors.append(.init(field: error.path, reason: error.reason))
            }
        } else {
            errors.append(.init(field: "circle", reason: "give a circle {lat, lon, radius} or a polygon (GeoJSON geometry)"))
        }
        guard errors.isEmpty, let shape else { throw Problem.invalid(errors) }
        let principal = try context.requirePrincipal()
        let result = try await areas.query(shape, listPeople: include.contains("people"), limit: limit, within: principal.territory)
        if !result.people.isEmpty {
            // Masked, but still people: the list is a read of personal data, on the trail.
            _ = try await store.appendAudit([AuditRecord(actor: principal.auditName, action: "read.people", target: "area:\(result.people.count) people",
                                                         requestID: context.requestID)])
        }
        return try JSONResponse.make(Body(
            totals: result.totals,
            grids: result.grids.map { .init(grid: $0.grid?.rawValue, name: $0.name, counts: $0.counts) },
            addresses: include.contains("addresses") ? result.addresses.map {
                .init(code: $0.code, address: $0.elements.localText, position: Position($0.coordinate), grid: $0.gridCode?.rawValue)
            } : nil,
            people: include.contains("people") ? result.people : nil,
            truncated: result.truncated))
    }
}
