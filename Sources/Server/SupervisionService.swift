import Governance
import Logging
import ServiceLifecycle

/// Runs case supervision (yellow and red marks, escalations) every `interval` while the server
/// runs; stops on graceful shutdown.
public struct SupervisionService: Service {
    let supervision: CaseSupervision
    let interval: Duration
    let logger: Logger

    public init(cases: CaseService, interval: Duration = .seconds(60), logger: Logger) {
        supervision = CaseSupervision(cases: cases)
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let outcome = try await supervision.run()
                if outcome.warned + outcome.escalated > 0 {
                    logger.info("supervision", metadata: ["warned": "\(outcome.warned)", "escalated": "\(outcome.escalated)", "skipped": "\(outcome.skipped)"])
                }
            } catch {
                logger.error("supervision failed; retrying on the next run", metadata: ["error": "\(error)"])
            }
            do {
                // Cut short by a graceful shutdown, so that the server stops at once.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
