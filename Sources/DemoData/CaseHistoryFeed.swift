import Foundation
import Governance

/// The demo's case history month by month, generated on every core a few months ahead of the
/// store's writer, handed over in order.
public final class CaseHistoryFeed: @unchecked Sendable {
    let generator: DemoCaseGenerator
    let count: Int
    let lookahead: Int
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Int: [(Case, [CaseEvent])]] = [:]
    private var handed = 0
    private var started = 0
    private let progress: (@Sendable (String) -> Void)?

    public init(_ generator: DemoCaseGenerator, lookahead: Int = 6, progress: (@Sendable (String) -> Void)? = nil) {
        self.generator = generator
        count = generator.months.count
        self.lookahead = lookahead
        self.progress = progress
        for _ in 0..<max(1, ProcessInfo.processInfo.activeProcessorCount) {
            Thread.detachNewThread { [self] in work() }
        }
    }

    private func work() {
        while true {
            condition.lock()
            while started < count && started - handed >= lookahead { condition.wait() }
            guard started < count else {
                condition.unlock()
                return
            }
            let month = started
            started += 1
            condition.unlock()
            let cases = generator.cases(ofMonth: month)
            condition.lock()
            ready[month] = cases
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next month's cases, nil after the last.
    public func next() -> [(Case, [CaseEvent])]? {
        condition.lock()
        defer { condition.unlock() }
        guard handed < count else { return nil }
        while ready[handed] == nil { condition.wait() }
        let cases = ready.removeValue(forKey: handed)!
        handed += 1
        condition.broadcast()
        progress?("generating case history: \(generator.months[handed - 1].from) (\(handed) of \(count) months)")
        return cases
    }
}
