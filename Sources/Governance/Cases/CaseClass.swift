/// The two kinds of managed objects (DOMAIN.md §3): physical assets (部件) and behaviour (事件).
public enum CaseKind: String, Sendable, Codable, CaseIterable {
    case event, component

    public var chineseName: String { self == .event ? "事件" : "部件" }
    /// The letter that starts a class code.
    public var letter: Character { self == .event ? "E" : "C" }
}

/// How urgent a case is; time limits differ by urgency.
public enum Urgency: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case normal, urgent

    public var chineseName: String { self == .normal ? "一般" : "紧急" }
}

/// The clocked steps of the closed loop, each with a time limit per class and urgency.
public enum CaseStep: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    /// From report to registration (立案) or rejection.
    case register
    /// From registration to dispatch (派遣).
    case dispatch
    /// From dispatch to the department's feedback (处置).
    case handle
    /// From feedback to the re-inspection on site (核查).
    case inspect

    public var chineseName: String {
        switch self {
        case .register: "立案"
        case .dispatch: "派遣"
        case .handle: "处置"
        case .inspect: "核查"
        }
    }
}

/// A class code in the national 2 + 2 shape, with its kind: `E0102` is the event class 01 市容环境
/// / 02 暴露垃圾, `C0101` the component class 01 公用设施 / 01 上水井盖.
public struct CaseClassCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let kind: CaseKind
    /// Two digits each.
    public let major: String
    public let minor: String

    public struct Invalid: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "\"\(text)\" is not a case class code: E (事件) or C (部件) followed by a 2-digit major and a 2-digit minor class, e.g. E0102" }
    }

    public init(kind: CaseKind, major: String, minor: String) throws(Invalid) {
        guard Self.twoDigits(major), Self.twoDigits(minor), major != "00" else { throw Invalid(text: "\(kind.letter)\(major)\(minor)") }
        self.kind = kind
        self.major = major
        self.minor = minor
    }

    public init(_ text: String) throws(Invalid) {
        let t = text.trimmingWhitespace.uppercased()
        guard t.count == 5, let first = t.first else { throw Invalid(text: text) }
        let kind: CaseKind
        switch first {
        case "E": kind = .event
        case "C": kind = .component
        default: throw Invalid(text: text)
        }
        let digits = t.dropFirst()
        do {
            try self.init(kind: kind, major: String(digits.prefix(2)), minor: String(digits.suffix(2)))
        } catch {
            throw Invalid(text: text)
        }
    }

    private static func twoDigits(_ s: String) -> Bool { s.utf8.count == 2 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }

    public var rawValue: String { "\(kind.letter)\(major)\(minor)" }
    public var description: String { rawValue }
    /// `E01`: the major class, for routing rules that cover every minor class under it.
    public var majorCode: String { "\(kind.letter)\(major)" }
    /// A major class itself is stored with minor `00`.
    public var isMajor: Bool { minor == "00" }

    public static func < (l: CaseClassCode, r: CaseClassCode) -> Bool { l.rawValue < r.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// One class of the dictionary: a major class (minor `00`, a heading) or a minor class with its
/// time limits.
public struct CaseClass: Sendable, Hashable, Codable {
    public var code: CaseClassCode
    public var name: String
    /// Time limits per urgency and step; a minor class has all eight.
    public var limits: [Urgency: [CaseStep: TimeLimit]]
    /// Retired classes stay for history but take no new cases.
    public var active: Bool

    public init(code: CaseClassCode, name: String, limits: [Urgency: [CaseStep: TimeLimit]], active: Bool = true) {
        self.code = code
        self.name = name
        self.limits = limits
        self.active = active
    }

    public func limit(_ step: CaseStep, _ urgency: Urgency) -> TimeLimit? { limits[urgency]?[step] }

    /// Register, dispatch and inspect limits as DOMAIN.md gives them (urgent 10 minutes, normal 30;
    /// re-inspection within a working hour); the handling limit is the class's own.
    public static func standardLimits(handle normal: TimeLimit, urgent: TimeLimit) -> [Urgency: [CaseStep: TimeLimit]] {
        [
            .normal: [.register: .minutes(30), .dispatch: .minutes(30), .handle: normal, .inspect: .hours(1)],
            .urgent: [.register: .minutes(10), .dispatch: .minutes(10), .handle: urgent, .inspect: .minutes(30)],
        ]
    }

    /// Why a class cannot be saved as it is, if it cannot.
    public var problem: String? {
        if name.trimmingWhitespace.isEmpty { return "the name is empty" }
        if name.count > 40 { return "the name is longer than 40 characters" }
        if code.isMajor { return limits.isEmpty ? nil : "a major class (minor 00) has no time limits" }
        for u in Urgency.allCases {
            for s in CaseStep.allCases {
                guard let l = limit(s, u) else { return "the \(u.rawValue) time limit for \(s.rawValue) is missing" }
                if l.amount <= 0 { return "the \(u.rawValue) time limit for \(s.rawValue) must be positive" }
            }
        }
        return nil
    }
}

/// The classes in force: the seed dictionary with administrators' additions and changes.
public struct CaseClassDictionary: Sendable {
    public private(set) var classes: [CaseClassCode: CaseClass]

    /// `stored`: classes saved by administrators; a stored class replaces the seed class of its code.
    public init(stored: [CaseClass] = []) {
        var classes = Dictionary(uniqueKeysWithValues: CaseClassSeed.classes.map { ($0.code, $0) })
        for c in stored { classes[c.code] = c }
        self.classes = classes
    }

    public func `class`(_ code: CaseClassCode) -> CaseClass? { classes[code] }

    /// The major class above a minor class.
    public func major(of code: CaseClassCode) -> CaseClass? { try? classes[CaseClassCode(kind: code.kind, major: code.major, minor: "00")] }

    public var all: [CaseClass] { classes.values.sorted { $0.code < $1.code } }

    /// The minor classes that take new cases.
    public var selectable: [CaseClass] { all.filter { !$0.code.isMajor && $0.active } }

    /// A minor class that takes new cases, or why not.
    public func selectable(_ code: CaseClassCode) -> Result<CaseClass, CaseRefused> {
        guard let c = classes[code], !c.code.isMajor else { return .failure(CaseRefused(field: "classCode", reason: "no minor class \(code) in the dictionary")) }
        guard c.active else { return .failure(CaseRefused(field: "classCode", reason: "the class \(code) \(c.name) is retired")) }
        return .success(c)
    }
}
