/// Bytes as text, written by hand: Foundation's base64 plus character replacement and
/// `String(format: "%02x")` cost more than the encryption itself on millions of fields.
enum ByteText {
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let base64urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let base64urlValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in base64urlAlphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 4648 §5, without padding.
    static func base64url<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])
            out.append(base64urlAlphabet[n >> 18 & 63])
            out.append(base64urlAlphabet[n >> 12 & 63])
            out.append(base64urlAlphabet[n >> 6 & 63])
            out.append(base64urlAlphabet[n & 63])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = Int(input[i]) << 16
            out.append(base64urlAlphabet[n >> 18 & 63])
            out.append(base64urlAlphabet[n >> 12 & 63])
        } else if rest == 2 {
            let n = Int(input[i]) << 16 | Int(input[i + 1]) << 8
            out.append(base64urlAlphabet[n >> 18 & 63])
            out.append(base64urlAlphabet[n >> 12 & 63])
            out.append(base64urlAlphabet[n >> 6 & 63])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil when the text is not unpadded base64url.
    static func bytes(base64url text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator = 0, bits = 0
        for c in text.utf8 {
            let v = base64urlValues[Int(c)]
            guard v != 0xFF else { return nil }
            accumulator = accumulator << 6 | Int(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(accumulator >> bits & 0xFF))
            }
        }
        // Leftover bits must be zero padding of the last character (at most 4 bits).
        guard bits < 6, accumulator & ((1 << bits) - 1) == 0 else { return nil }
        return out
    }
}
