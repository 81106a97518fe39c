import Governance
import Logging
import ServiceLifecycle

/// Picks up imports made by other processes (`citybrain import` against the database a server is
/// using): every few seconds it asks the store for its latest import batch and reloads the regions
/// when it changed. Stops on graceful shutdown.
public struct RegionRefreshService: Service {
    let regions: RegionService
    let interval: Duration
    let logger: Logger

    public init(regions: RegionService, interval: Duration = .seconds(5), logger: Logger) {
        self.regions = regions
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Cut short by a graceful shutdown, so that the server stops at once.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            do {
                if try await regions.reloadIfChanged() {
                    logger.info("regions reloaded after an import", metadata: ["regions": "\(regions.territory().regions.count)"])
                }
            } catch {
                logger.error("could not check for new imports", metadata: ["error": "\(error)"])
            }
        }
    }
}
