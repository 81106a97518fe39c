import Foundation

/// 督办 on a schedule: every open step's clock is watched; at the warning mark the case turns
/// yellow, at the deadline red and is escalated to the street, one working day later to the
/// district command centre. Each look is a recorded step of the case (timeline and audit), taken
/// with the case's version like any other step, so that two runners (two processes on one
/// database) never record the same escalation twice.
public struct CaseSupervision: Sendable {
    public let cases: CaseService

    public init(cases: CaseService) { self.cases = cases }

    public struct Outcome: Sendable, Equatable {
        public var warned = 0
        public var escalated = 0
        /// Changed by someone else meanwhile: looked at again on the next run.
        public var skipped = 0

        public init(warned: Int = 0, escalated: Int = 0, skipped: Int = 0) {
            self.warned = warned
            self.escalated = escalated
            self.skipped = skipped
        }
    }

    /// Looks at every case whose next alert has come by `time`.
    @discardableResult
    public func run(at time: Date = CaseService.now(), batch: Int = 500) async throws -> Outcome {
        var outcome = Outcome()
        let workflow = cases.workflow
        while true {
            let due = try await cases.store.casesNeedingSupervision(at: time, limit: batch)
            var progressed = false
            for c in due {
                guard let (updated, event) = workflow.supervise(c, at: time) else { continue }
                let audit = AuditRecord(time: time, actor: "supervision", action: "case." + event.action.rawValue, target: "case:" + c.number,
                                        purpose: event.details["escalatedTo"])
                do {
                    let change = CaseChange(previous: c, updated: updated, event: event)
                    try await cases.store.updateCases([change], audit: [audit])
                    cases.announce([change], at: time)
                    if event.action == .warn { outcome.warned += 1 } else { outcome.escalated += 1 }
                    progressed = true
                } catch is CaseVersionConflict {
                    outcome.skipped += 1
                }
            }
            if due.count < batch || !progressed { return outcome }
        }
    }
}
