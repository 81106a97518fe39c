extension String {
    /// The string without leading and trailing white space (ASCII and the ideographic space of
    /// Chinese input). Foundation's `trimmingCharacters(in:)` goes through NSString on Linux and costs
    /// more than the rest of an import row together.
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !Self.isSpace($0) })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s == "\u{3000}" || s == "\u{A0}" || s == "\u{FEFF}"
    }
}

/// `n` with leading zeros to `width` digits (String(format:) is slow on Linux).
func zeroPadded(_ n: Int, _ width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
