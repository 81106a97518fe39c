import Foundation
import Governance
import Logging
import ServiceLifecycle

/// Runs case supervision (yellow and red marks, escalations) every `interval` while the server
/// runs; stops on graceful shutdown. With several instances on one database only the holder of the
/// job's lease runs it; the lease outlives three intervals, so when its holder stops another
/// instance takes over within that time (at once after a graceful shutdown, which releases it).
public struct SupervisionService: Service {
    public static let job = "case-supervision"

    let supervision: CaseSupervision
    let leases: any JobLeaseStore
    let holder: String
    let interval: Duration
    let logger: Logger
    let metrics: ServerMetrics?

    public init(cases: CaseService, leases: any JobLeaseStore, holder: String, interval: Duration = .seconds(60), logger: Logger,
                metrics: ServerMetrics? = nil) {
        supervision = CaseSupervision(cases: cases)
        self.leases = leases
        self.holder = holder
        self.interval = interval
        self.logger = logger
        self.metrics = metrics
    }

    /// One run at `time` if this instance holds (or can take) the job's lease; nil when another does.
    public func runOnce(at time: Date = CaseService.now()) async throws -> CaseSupervision.Outcome? {
        let lease = (Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18) * 3
        guard try await leases.acquireLease(Self.job, holder: holder, now: time, until: time.addingTimeInterval(lease)) else { return nil }
        let start = ContinuousClock.now
        let outcome = try await supervision.run(at: time)
        metrics?.supervisionRun(warned: outcome.warned, escalated: outcome.escalated, duration: ContinuousClock.now - start)
        return outcome
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let outcome = try await runOnce(), outcome.warned + outcome.escalated > 0 {
                    logger.info("supervision", metadata: ["warned": "\(outcome.warned)", "escalated": "\(outcome.escalated)", "skipped": "\(outcome.skipped)"])
                }
            } catch {
                logger.error("supervision failed; retrying on the next run", metadata: ["error": "\(error)"])
            }
            do {
                // Cut short by a graceful shutdown, so that the server stops at once.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
        try? await leases.releaseLease(Self.job, holder: holder)
    }
}
