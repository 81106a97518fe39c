import Foundation
import Governance
import Hummingbird
import Logging

/// Where the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The domain services the HTTP layer is handed at start-up. The server never talks to a database.
public struct CityBrainServices: Sendable {
    public let store: any CityBrainStore
    public let regions: RegionService
    public let addresses: AddressService
    public let layers: LayerService
    public let areas: AreaQueryService

    public init(store: any CityBrainStore, regions: RegionService, addresses: AddressService, layers: LayerService) {
        self.store = store
        self.regions = regions
        self.addresses = addresses
        self.layers = layers
        self.areas = AreaQueryService(store: store, addresses: addresses, regions: regions)
    }
}

/// The router with every route and middleware; tests drive it directly.
public func buildRouter(services: CityBrainServices, logger: Logger = Logger(label: "citybrain")) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    if let publicFolder = Bundle.module.url(forResource: "Public", withExtension: nil)?.path {
        router.add(middleware: FileMiddleware(publicFolder, searchForIndexHtml: true, logger: logger))
    }
    router.get("healthz") { _, _ in
        try JSONResponse.make(["status": "ok"])
    }
    router.get("readyz") { _, _ -> Response in
        do {
            _ = try await services.store.setting("schema")
        } catch {
            throw Problem(.serviceUnavailable, kind: "not-ready", title: "Not ready", detail: "the store does not answer: \(error)")
        }
        struct Readiness: Encodable { var status: String; var regions: Int }
        return try JSONResponse.make(Readiness(status: "ready", regions: services.regions.territory().regions.count))
    }
    let api = router.group("api/v1")
    api.get("openapi.json") { _, _ in
        JSONResponse.raw(OpenAPIDocument.bytes, contentType: "application/json; charset=utf-8")
    }
    RegionController(regions: services.regions).addRoutes(to: api)
    AddressController(addresses: services.addresses).addRoutes(to: api)
    LayerController(layers: services.layers).addRoutes(to: api)
    AreaQueryController(areas: services.areas).addRoutes(to: api)
    return router
}

/// The whole application: router, background services, configuration and logger.
public func buildApplication(services: CityBrainServices, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services: services, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "CityBrain"),
        services: [RegionRefreshService(regions: services.regions, logger: logger)],
        logger: logger)
}

/// The hand-written OpenAPI 3.1 document (a test keeps it in step with the routes).
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array("{}".utf8)
        }
        return [UInt8](data)
    }()
}
