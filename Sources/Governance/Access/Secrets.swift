import Crypto
import Foundation
import HummingbirdBcrypt

/// Password hashing with bcrypt. Hashing takes a quarter of a second at the default cost on
/// purpose, so it runs off the caller's thread.
public struct PasswordHasher: Sendable {
    /// bcrypt's work factor: 12 in production; tests use the minimum (4) to stay fast.
    public var cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) async -> String {
        let cost = self.cost
        return await Self.offThread { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async -> Bool {
        await Self.offThread { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash to compare against when the account does not exist, so that an unknown name takes
    /// as long to refuse as a wrong password (the time does not tell which names exist).
    public func decoyHash() -> String { Bcrypt.hash("decoy-\(SecretToken.generate(bytes: 8))", cost: cost) }

    private static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// What a new password must satisfy. Kept short and clear: length matters most.
public enum PasswordRule {
    public static let minimumLength = 10

    /// The reason the password is refused, nil when it is acceptable.
    public static func problem(with password: String, username: String) -> String? {
        if password.count < minimumLength { return "a password has at least \(minimumLength) characters" }
        if password.count > 128 { return "a password has at most 128 characters" }
        if password.lowercased().contains(username.lowercased()) { return "a password must not contain the user name" }
        let letters = password.unicodeScalars.contains { CharacterSet.letters.contains($0) }
        let digits = password.unicodeScalars.contains { CharacterSet.decimalDigits.contains($0) }
        if !(letters && digits) { return "a password contains letters and digits" }
        return nil
    }
}

/// Random secrets (session cookies, CSRF tokens, API tokens) and their stored hashes.
public enum SecretToken {
    /// `bytes` random bytes from the system's cryptographic generator, base64url without padding.
    public static func generate(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return ByteText.base64url((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// SHA-256 in hex: a token of 256 random bits needs no salt or slow hash.
    public static func hash(_ token: String) -> String {
        ByteText.hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// Compares two secrets in time independent of where they differ.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
