import Foundation
import Governance
import Logging
import ServiceLifecycle

/// Signs a checkpoint of the audit trail every `interval` while the server runs (the first one
/// an interval after start). With several instances only the holder of the job's lease signs.
public struct AuditCheckpointService: Service {
    public static let job = "audit-checkpoint"

    let checkpoints: AuditCheckpoints
    let leases: any JobLeaseStore
    let holder: String
    let interval: Duration
    let logger: Logger

    public init(checkpoints: AuditCheckpoints, leases: any JobLeaseStore, holder: String, interval: Duration, logger: Logger) {
        self.checkpoints = checkpoints
        self.leases = leases
        self.holder = holder
        self.interval = interval
        self.logger = logger
    }

    /// One checkpoint at `time` if this instance holds (or can take) the lease; nil otherwise.
    public func runOnce(at time: Date = Date()) async throws -> AuditCheckpoint? {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
        guard try await leases.acquireLease(Self.job, holder: holder, now: time, until: time.addingTimeInterval(seconds * 3)) else { return nil }
        return try await checkpoints.make(at: time, actor: "audit-checkpoint")
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            do {
                if let made = try await runOnce() { logger.info("audit checkpoint signed", metadata: ["anchor": "\(made.anchor)"]) }
            } catch {
                logger.error("audit checkpoint failed; retrying on the next run", metadata: ["error": "\(error)"])
            }
        }
        try? await leases.releaseLease(Self.job, holder: holder)
    }
}
