/// A unified social credit code (统一社会信用代码, GB 32100): 18 characters over 0–9 and the capital
/// letters without I, O, S, V and Z. Character 1 is the registration authority, 2 the kind of
/// organisation, 3–8 the division code, 9–17 the organisation code, 18 a check character.
public struct CreditCode: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    /// Set for codes whose check character fails: some early pilot codes do, and are accepted.
    public let warning: String?

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    public init(_ text: String) throws(Invalid) {
        let t = String(text.filter { !$0.isWhitespace }.uppercased().unicodeScalars.map { s -> Character in
            // Full-width letters and digits.
            (0xFF10...0xFF19).contains(s.value) || (0xFF21...0xFF3A).contains(s.value) ? Character(Unicode.Scalar(s.value - 0xFEE0)!) : Character(s)
        })
        let chars = Array(t)
        guard chars.count == 18 else { throw Invalid(reason: "a credit code has 18 characters, not \(chars.count)") }
        var values: [Int] = []
        for (i, c) in chars.enumerated() {
            guard let v = Self.alphabet.firstIndex(of: c) else {
                throw Invalid(reason: "character \(i + 1) '\(c)' is not allowed (I, O, S, V and Z are never used)")
            }
            values.append(v)
        }
        guard chars[2..<8].allSatisfy(\.isASCIIDigit) else { throw Invalid(reason: "characters 3–8 must be the division code digits") }
        let sum = zip(values[..<17], Self.weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = (31 - sum % 31) % 31
        value = t
        warning = check == values[17] ? nil
            : "check character is \(chars[17]) but \(Self.alphabet[check]) is expected; accepted as an early pilot code"
    }

    /// The 6-digit division code of the registering authority's place.
    public var regionCode: String { String(Array(value)[2..<8]) }

    public var description: String { value }
}
