import Foundation
import GeoKit
import Governance
import Hummingbird

/// The regions API: MapIt-style point lookup and the region tree.
struct RegionController {
    let regions: RegionService
    static let maximumBatch = 10_000

    /// Point lookup answers for the whole territory (which grid is this point in is what reporting
    /// a case needs); the tree shows an account its scope and the regions above it.
    func addRoutes(to routes: PolicedRoutes) {
        routes.get("regions/locate", .permission(.territoryRead), use: locate)
        routes.post("regions/locate", .permission(.territoryRead), use: locateBatch)
        routes.get("regions", .permission(.territoryRead), use: list)
        routes.get("regions.geojson", .permission(.territoryRead), use: listGeoJSON)
        routes.get("regions/{code}.geojson", .permission(.territoryRead), use: geojson)
        routes.get("regions/{code}", .permission(.territoryRead), use: detail)
        routes.get("regions/{code}/children", .permission(.territoryRead), use: children)
    }

    // MARK: point lookup

    struct LocateResponse: Encodable {
        struct Query: Encodable {
            var lat: Double
            var lon: Double
            var crs: String
            var at: String
        }
        var query: Query
        /// The position in WGS-84 after datum conversion.
        var position: Position
        var grid: RegionSummary?
        /// The containing regions from the top down.
        var regions: [RegionSummary]
    }

    @Sendable func locate(request: Request, context: AppRequestContext) async throws -> Response {
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        let lat = Self.number(q["lat"].map(String.init), field: "lat", range: -90...90, errors: &errors)
        let lon = Self.number(q["lon"].map(String.init), field: "lon", range: -180...180, errors: &errors)
        let crs = Self.coordinateSystem(q["crs"].map(String.init), errors: &errors)
        let at = Self.instant(q["at"].map(String.init), errors: &errors)
        guard errors.isEmpty, let lat, let lon else { throw Problem.invalid(errors) }
        let position = CoordinateTransform.toWGS84(Coordinate(longitude: lon, latitude: lat), from: crs)
        let territory = regions.territory(at: at)
        let chain = territory.locate(position)
        let grid = chain.last.flatMap { $0.level == .grid ? $0 : nil }
        return try JSONResponse.make(LocateResponse(
            query: .init(lat: lat, lon: lon, crs: crs.rawValue, at: isoTimestamp(at ?? Date())),
            position: Position(position), grid: grid.map(RegionSummary.init), regions: chain.map(RegionSummary.init)))
    }

    /// Up to 10,000 points in one request: `{"crs": "wgs84", "at": "2026-01-01", "points": [{"lat": .., "lon": .., "id": ..}]}`.
    /// Each result holds the codes of the grid and its ancestors; names are given once in `names`.
    @Sendable func locateBatch(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let root: JSONValue
        do { root = try JSONParser.parse(Data(buffer: body)) } catch {
            throw Problem.invalid([.init(field: "body", reason: "invalid JSON at line \(error.line), column \(error.column): \(error.reason)")])
        }
        guard let object = root.objectValue else { throw Problem.invalid([.init(field: "body", reason: "a JSON object was expected")]) }
        var errors: [Problem.FieldError] = []
        for member in ["crs", "at"] {
            if let v = object[member], v != .null, v.stringValue == nil {
                errors.append(.init(field: member, reason: "a string is required, not \(v.typeName)"))
            }
        }
        let crs = Self.coordinateSystem(object["crs"]?.stringValue, errors: &errors)
        let at = Self.instant(object["at"]?.stringValue, errors: &errors)
        guard let points = object["points"]?.arrayValue else {
            throw Problem.invalid([.init(field: "points", reason: "an array of {lat, lon} objects is required")])
        }
        guard points.count <= Self.maximumBatch else {
            throw Problem(.contentTooLarge, kind: "batch-too-large", title: "Too many points",
                          detail: "\(points.count) points sent; at most \(Self.maximumBatch) per request")
        }
        var positions: [Coordinate] = []
        positions.reserveCapacity(points.count)
        for (i, p) in points.enumerated() {
            if errors.count >= 100 { break }
            guard let o = p.objectValue else {
                errors.append(.init(field: "points[\(i)]", reason: "an object {lat, lon} was expected"))
                continue
            }
            guard let lat = o["lat"]?.doubleValue, (-90...90).contains(lat) else {
                errors.append(.init(field: "points[\(i)].lat", reason: "a latitude between -90 and 90 is required"))
                continue
            }
            guard let lon = o["lon"]?.doubleValue, (-180...180).contains(lon) else {
                errors.append(.init(field: "points[\(i)].lon", reason: "a longitude between -180 and 180 is required"))
                continue
            }
            positions.append(CoordinateTransform.toWGS84(Coordinate(longitude: lon, latitude: lat), from: crs))
        }
        guard errors.isEmpty else { throw Problem.invalid(errors, detail: "\(errors.count)\(errors.count >= 100 ? " or more" : "") invalid fields; the first: \(errors[0].field): \(errors[0].reason)") }

        let territory = regions.territory(at: at)
        var w = JSONWriter(reservingCapacity: points.count * 120)
        var names: [(code: String, name: String)] = []
        var seen = [Bool](repeating: false, count: territory.regions.count)
        var located = 0
        w.raw("{\"results\":[")
        for (i, c) in positions.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            var first = true
            if let id = points[i].objectValue?["id"] {
                w.raw("\"id\":")
                w.value(id)
                first = false
            }
            let chain = territory.locateIndexes(c)
            for k in chain {
                let r = territory.regions[k]
                if !first { w.raw(",") }
                first = false
                w.string(r.level.rawValue)
                w.raw(":")
                w.string(r.code.rawValue)
                if r.level == .grid { located += 1 }
                if !seen[k] {
                    seen[k] = true
                    names.append((r.code.rawValue, r.name))
                }
            }
            w.raw("}")
        }
        w.raw("],\"count\":")
        w.number(Double(positions.count))
        w.raw(",\"inGrid\":")
        w.number(Double(located))
        w.raw(",\"crs\":")
        w.string(crs.rawValue)
        w.raw(",\"at\":")
        w.string(isoTimestamp(at ?? Date()))
        w.raw(",\"names\":{")
        for (i, (code, name)) in names.sorted(by: { $0.code < $1.code }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(code)
            w.raw(":")
            w.string(name)
        }
        w.raw("}}")
        return JSONResponse.raw(w.bytes, contentType: "application/json; charset=utf-8")
    }

    // MARK: the tree

    struct Page<T: Encodable>: Encodable {
        var items: [T]
        var nextCursor: String?
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let (items, next) = try selection(request, context: context)
        return try JSONResponse.make(Page(items: items.map(RegionSummary.init), nextCursor: next))
    }

    /// The same selection as GeoJSON, for drawing a level of the map in one request.
    @Sendable func listGeoJSON(request: Request, context: AppRequestContext) async throws -> Response {
        let (items, next) = try selection(request, context: context, defaultLimit: 5000, maximumLimit: 5000)
        let crs = try Self.requireCoordinateSystem(request)
        var w = JSONWriter(reservingCapacity: items.count * 2048)
        GeoJSON.write(items.map { RegionExport.feature($0, coordinateSystem: crs) }, to: &w)
        var response = JSONResponse.raw(w.bytes, contentType: "application/geo+json")
        if let next { response.headers[.init("X-Next-Cursor")!] = next }
        return response
    }

    /// `level`, `parent` (any ancestor), `at`, `limit`, `cursor` (the last code of the previous page).
    private func selection(_ request: Request, context: AppRequestContext, defaultLimit: Int = 100, maximumLimit: Int = 1000) throws -> ([Region], String?) {
        let scope = try context.requirePrincipal().territory
        let q = request.uri.queryParameters
        var errors: [Problem.FieldError] = []
        var level: RegionLevel?
        if let text = q["level"].map(String.init) {
            level = RegionLevel(rawValue: text)
            if level == nil { errors.append(.init(field: "level", reason: "one of \(RegionLevel.allCases.map(\.rawValue).joined(separator: ", "))")) }
        }
        var parent: RegionCode?
        if let text = q["parent"].map(String.init) {
            do { parent = try RegionCode(text) } catch { errors.append(.init(field: "parent", reason: error.reason)) }
        }
        let at = Self.instant(q["at"].map(String.init), errors: &errors)
        var limit = defaultLimit
        if let text = q["limit"].map(String.init) {
            if let n = Int(text), (1...maximumLimit).contains(n) { limit = n } else { errors.append(.init(field: "limit", reason: "an integer from 1 to \(maximumLimit)")) }
        }
        let cursor = q["cursor"].map(String.init)
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let territory = regions.territory(at: at)
        if let parent, territory.region(parent) == nil || !scope.shows(parent) { throw Problem.notFound("region \(parent) does not exist\(at.map { " at \(isoTimestamp($0))" } ?? "")") }
        var all = territory.regions(level: level, under: parent).filter { scope.shows($0.code) }
        if let cursor { all = all.filter { $0.code.rawValue > cursor } }
        let page = Array(all.prefix(limit))
        return (page, all.count > limit ? page.last?.code.rawValue : nil)
    }

    @Sendable func detail(request: Request, context: AppRequestContext) async throws -> Response {
        let (region, territory) = try lookup(request, context: context)
        return try JSONResponse.make(RegionDetail(region, territory: territory, catalog: regions.catalog, workers: regions.gridWorkers))
    }

    @Sendable func children(request: Request, context: AppRequestContext) async throws -> Response {
        let (region, territory) = try lookup(request, context: context)
        let scope = try context.requirePrincipal().territory
        return try JSONResponse.make(Page(items: territory.children(of: region.code).filter { scope.shows($0.code) }.map(RegionSummary.init), nextCursor: nil))
    }

    @Sendable func geojson(request: Request, context: AppRequestContext) async throws -> Response {
        let (region, _) = try lookup(request, context: context)
        let crs = try Self.requireCoordinateSystem(request)
        var w = JSONWriter()
        GeoJSON.write(RegionExport.feature(region, coordinateSystem: crs, workers: region.level == .grid ? regions.gridWorkers.workers(of: region.code).count : nil), to: &w)
        return JSONResponse.raw(w.bytes, contentType: "application/geo+json")
    }

    private func lookup(_ request: Request, context: AppRequestContext) throws -> (Region, Territory) {
        let text = try context.parameters.require("code")
        var errors: [Problem.FieldError] = []
        let at = Self.instant(request.uri.queryParameters["at"].map(String.init), errors: &errors)
        let code: RegionCode
        do { code = try RegionCode(text) } catch { throw Problem.invalid([.init(field: "code", reason: error.reason)]) }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let territory = regions.territory(at: at)
        guard let region = territory.region(code), try context.requirePrincipal().territory.shows(code) else {
            throw Problem.notFound("region \(code) does not exist\(at.map { " at \(isoTimestamp($0))" } ?? "")")
        }
        return (region, territory)
    }

    // MARK: parameters

    static func number(_ text: String?, field: String, range: ClosedRange<Double>, errors: inout [Problem.FieldError]) -> Double? {
        guard let text, !text.isEmpty else {
            errors.append(.init(field: field, reason: "required"))
            return nil
        }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            errors.append(.init(field: field, reason: "a number from \(range.lowerBound) to \(range.upperBound) is required, not \"\(text)\""))
            return nil
        }
        return v
    }

    static func coordinateSystem(_ text: String?, errors: inout [Problem.FieldError]) -> CoordinateSystem {
        guard let text, !text.isEmpty else { return .wgs84 }
        guard let crs = CoordinateSystem(rawValue: text.lowercased()) else {
            errors.append(.init(field: "crs", reason: "one of \(CoordinateSystem.allCases.map(\.rawValue).joined(separator: ", "))"))
            return .wgs84
        }
        return crs
    }

    static func requireCoordinateSystem(_ request: Request) throws -> CoordinateSystem {
        var errors: [Problem.FieldError] = []
        let crs = coordinateSystem(request.uri.queryParameters["crs"].map(String.init), errors: &errors)
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        return crs
    }

    static func instant(_ text: String?, errors: inout [Problem.FieldError]) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = parseInstant(text) else {
            errors.append(.init(field: "at", reason: "a date (2026-11-29) or an ISO-8601 time (2026-11-29T08:00:00+08:00) is required"))
            return nil
        }
        return d
    }
}
