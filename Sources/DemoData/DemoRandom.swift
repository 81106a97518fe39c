/// Deterministic random numbers for the demo (SplitMix64).
///
/// Every part of the demo draws from its own named substream, so adding a part later (addresses,
/// people, cases) never changes what the existing parts generate for the same seed.
public struct DemoRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for the part called `name`.
    public func substream(_ name: String) -> DemoRandom {
        // FNV-1a of the name, mixed with the seed.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        var s = DemoRandom(seed: state ^ h)
        _ = s.next()
        return s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `n` written in decimal with leading zeros to `width` digits (String(format:) is slow on Linux,
/// and the demo writes millions of codes).
func padded(_ n: Int, _ width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// A number with two decimals: 89.5 → "89.50".
func twoDecimals(_ x: Double) -> String {
    let cents = Int((x * 100).rounded())
    return "\(cents / 100).\(padded(cents % 100, 2))"
}
