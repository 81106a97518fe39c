import Foundation
import Governance
import Hummingbird

/// `/api/v1/cockpits…`: the 1+8+X cockpits a viewer may open and what each shows for a month.
struct CockpitController {
    let cockpits: CockpitService

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("cockpits", .permission(.cockpitRead), use: list)
        routes.get("cockpits/{id}", .permission(.cockpitRead), use: show)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        try Self.json(["cockpits": try cockpits.cockpits(for: try context.requirePrincipal())])
    }

    /// `month=2026-11` (default the current month).
    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        var month: CivilDay?
        if let text = request.uri.queryParameters["month"].map(String.init) {
            guard let first = CivilDay(month: text), (2000...2100).contains(first.components.year) else {
                throw Problem.invalid([.init(field: "month", reason: "a month such as 2026-11")])
            }
            month = first
        }
        guard try cockpits.cockpits(for: principal).contains(where: { $0.id == id }) else {
            throw Problem.notFound("no cockpit \(id) for this account (see GET /api/v1/cockpits)")
        }
        return try Self.json(try await cockpits.view(id, month: month, for: principal))
    }
}

/// `GET /api/v1/map-settings`: the base map every page uses (open: the residents' page needs it too).
struct MapSettingsController {
    let tiles: TileSource?

    func addRoutes(to routes: PolicedRoutes) {
        routes.get("map-settings", .open) { _, _ in
            struct Settings: Encodable { var tiles: TileSource? }
            return try JSONResponse.make(Settings(tiles: tiles))
        }
    }
}

/// A base map: an XYZ tile URL template (`https://…/{z}/{x}/{y}.png`, `{s}` for subdomains) and
/// the datum its tiles are drawn in. Tiles of Chinese providers are in GCJ-02; the pages then
/// shift every WGS-84 feature onto them (and clicks back), so outlines and markers sit right.
public struct TileSource: Sendable, Encodable, Hashable {
    public enum Datum: String, Sendable, Encodable, CaseIterable {
        case wgs84
        case gcj02
    }

    public var url: String
    public var datum: Datum
    public var attribution: String
    public var maxZoom: Int
    public var subdomains: String

    public init(url: String, datum: Datum = .wgs84, attribution: String = "", maxZoom: Int = 18, subdomains: String = "abc") {
        self.url = url
        self.datum = datum
        self.attribution = attribution
        self.maxZoom = maxZoom
        self.subdomains = subdomains
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks a template: http(s), with {z}, {x} and {y}.
    public static func parse(url: String, datum: String, attribution: String = "", maxZoom: Int = 18) throws(Invalid) -> TileSource {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/"),
              ["{z}", "{x}", "{y}"].allSatisfy(url.contains) else {
            throw Invalid(description: "--tiles \(url): an http(s) URL template with {z}, {x} and {y}, such as https://tile.example.org/{z}/{x}/{y}.png")
        }
        guard let d = Datum(rawValue: datum.lowercased().replacingOccurrences(of: "-", with: "")) else {
            throw Invalid(description: "--tiles-datum \(datum): wgs84 or gcj02")
        }
        guard (1...22).contains(maxZoom) else { throw Invalid(description: "--tiles-max-zoom \(maxZoom): from 1 to 22") }
        return TileSource(url: url, datum: d, attribution: attribution, maxZoom: maxZoom)
    }
}
