import Foundation

/// When failed logins lock an account: `threshold` failures within `window` lock it for
/// `duration`. Failures older than the window no longer count, so one wrong guess every quarter
/// of an hour can neither lock an account nor keep it locked.
public struct LockoutRule: Sendable, Hashable {
    public var threshold: Int
    public var window: TimeInterval
    public var duration: TimeInterval

    public init(threshold: Int, window: TimeInterval, duration: TimeInterval) {
        self.threshold = threshold
        self.window = window
        self.duration = duration
    }

    public static let standard = LockoutRule(threshold: 5, window: 15 * 60, duration: 15 * 60)

    /// The account's failure state after one more failure at `time`. A failure while the account
    /// is locked changes nothing (the lock is not lengthened); the failure that reaches the
    /// threshold locks it and starts counting afresh for when the lock ends.
    public func afterFailure(_ state: LoginFailureState, at time: Date) -> LoginFailureState {
        var next = state
        next.lockedNow = false
        if let until = state.lockedUntil, until > time { return next }
        if let start = state.windowStart, time.timeIntervalSince(start) < window {
            next.failures = state.failures + 1
        } else {
            next.failures = 1
            next.windowStart = time
        }
        if next.failures >= threshold {
            next.lockedUntil = time.addingTimeInterval(duration)
            next.failures = 0
            next.windowStart = nil
            next.lockedNow = true
        }
        return next
    }
}

/// What the store keeps of an account's failed logins.
public struct LoginFailureState: Sendable, Hashable {
    /// Failures in the current window.
    public var failures: Int
    /// When the current window's first failure happened.
    public var windowStart: Date?
    public var lockedUntil: Date?
    /// Whether this failure locked the account.
    public var lockedNow: Bool

    public init(failures: Int = 0, windowStart: Date? = nil, lockedUntil: Date? = nil, lockedNow: Bool = false) {
        self.failures = failures
        self.windowStart = windowStart
        self.lockedUntil = lockedUntil
        self.lockedNow = lockedNow
    }

    public func isLocked(at time: Date) -> Bool { lockedUntil.map { $0 > time } ?? false }
}
