/// What any text must be to be stored and read back alike by both stores: no NUL (PostgreSQL's
/// text type cannot hold it, and C tools cut the text there), no other control characters but
/// tab and line breaks (invisible in every page and export), and no longer than its field allows.
/// Emoji and every other Unicode character are fine: both stores keep UTF-8.
public enum StoredText {
    public static func problem(_ text: String, maxLength: Int? = nil) -> String? {
        if let bad = text.unicodeScalars.first(where: isRefused) {
            return bad.value == 0 ? "contains a NUL character" : "contains the control character U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(4))"
        }
        if let maxLength, text.count > maxLength { return "is longer than \(maxLength) characters" }
        return nil
    }

    static func isRefused(_ s: Unicode.Scalar) -> Bool {
        (s.value < 0x20 && s != "\t" && s != "\n" && s != "\r") || s.value == 0x7F
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
