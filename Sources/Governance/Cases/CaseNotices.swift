import Foundation
import GeoKit
import Synchronization

/// What the live views (cockpits, queues) learn when a case changes: no personal data, only what
/// a map marker and a feed line need, and what decides who may see it.
public struct CaseNotice: Sendable, Hashable, Codable {
    public var number: String
    public var version: Int
    public var action: CaseAction
    public var status: CaseStatus
    public var classCode: String?
    public var gridCode: String
    /// The lead and assisting departments (a department's staff see only their cases).
    public var departments: [String]
    public var source: CaseSource
    public var urgent: Bool
    /// The running step's deadline has passed at `time`.
    public var overdue: Bool
    public var longitude: Double
    public var latitude: Double
    public var time: Date

    public init(_ c: Case, action: CaseAction, at time: Date) {
        number = c.number
        version = c.version
        self.action = action
        status = c.status
        classCode = c.classCode?.rawValue
        gridCode = c.gridCode.rawValue
        departments = (c.department.map { [$0] } ?? []) + c.tasks.map(\.department)
        source = c.source
        urgent = c.urgency == .urgent
        overdue = c.runningDue.map { $0 < time } ?? false
        longitude = c.location.longitude
        latitude = c.location.latitude
        self.time = time
    }

    /// The same rule as reading the case, without the reporter's own-report exception (a feed is
    /// for staff; residents follow their case by its tracking code).
    public func visible(to principal: Principal) -> Bool {
        guard principal.may(.caseRead) else { return false }
        if let department = principal.department { return departments.contains(department) }
        guard let grid = try? RegionCode(gridCode) else { return false }
        return principal.territory.contains(grid)
    }
}

/// Fans case notices out to the live connections of this process. Each subscriber has its own
/// bounded buffer: a slow browser loses its oldest notices (and reloads its view), it never holds
/// up a workflow step. With several instances on one database a relay (PostgreSQL's LISTEN/NOTIFY)
/// subscribes to this process's own notices and hands the other instances' ones to
/// ``publish(_:relayed:)``, so that every browser sees every change whichever instance it is on.
public final class CaseNoticeHub: Sendable {
    private struct Subscriber {
        var continuation: AsyncStream<CaseNotice>.Continuation
        var localOnly: Bool
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextID = Atomic<UInt64>(0)
    /// Counts every notice: cached views built before a change are recognisably stale.
    private let published = Atomic<UInt64>(0)
    public let bufferSize: Int

    public init(bufferSize: Int = 256) { self.bufferSize = bufferSize }

    public struct Subscription: Sendable {
        public let id: UInt64
        public let notices: AsyncStream<CaseNotice>
    }

    /// `localOnly`: only the changes made in this process (what a relay passes on to the others).
    public func subscribe(localOnly: Bool = false, bufferSize: Int? = nil) -> Subscription {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: CaseNotice.self, bufferingPolicy: .bufferingNewest(bufferSize ?? self.bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(continuation: continuation, localOnly: localOnly) }
        return Subscription(id: id, notices: stream)
    }

    /// Ends one subscription (its stream finishes).
    public func end(_ id: UInt64) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.continuation.finish()
    }

    /// Ends every subscription: the server is shutting down.
    public func endAll() {
        let all = subscribers.withLock { s in defer { s.removeAll() }; return Array(s.values) }
        for subscriber in all { subscriber.continuation.finish() }
    }

    /// `relayed`: the change was made by another instance (not passed on again).
    public func publish(_ notice: CaseNotice, relayed: Bool = false) {
        published.wrappingAdd(1, ordering: .relaxed)
        let all = subscribers.withLock { Array($0.values) }
        for subscriber in all where !(relayed && subscriber.localOnly) { subscriber.continuation.yield(notice) }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }
    public var generation: UInt64 { published.load(ordering: .relaxed) }
}
