import ArgumentParser
import Foundation
import Governance

/// Accounts from the server's console: the first administrator of a new deployment, and a way
/// back in when every administrator forgot his password. Audited under the operator's name.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Create accounts, reset passwords and issue API tokens from the console.",
        subcommands: [ListAccounts.self, AddAccount.self, ResetPassword.self, IssueToken.self])
}

/// Opens the store with the account service, as the console's operator.
private func accountService(_ options: StoreOptions) async throws -> AccountService {
    AccountService(store: try await openStore(options))
}

/// A password from standard input (one line), or a new random one to print.
private func password(fromStandardInput: Bool) throws -> (password: String, generated: Bool) {
    if fromStandardInput {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
        return (line, false)
    }
    return ("Cb-" + SecretToken.generate(bytes: 12) + "-9", true)
}

struct ListAccounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let accounts = try await accountService(store)
        for a in try await accounts.accounts(for: .console(cliActor)) {
            print([a.username, a.displayName, a.roles.joined(separator: ","), a.territory.rawValue, a.department ?? "-", a.status.rawValue].joined(separator: "\t"))
        }
    }
}

struct AddAccount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Create an account.",
        discussion: "Without --password-stdin a random password is generated and printed once. Roles: \(Role.builtIn.map(\.id).joined(separator: ", ")).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "User name.") var username: String
    @Option(help: "Name shown to others.") var name: String
    @Option(parsing: .upToNextOption, help: "Roles (one or more).") var role: [String]
    @Option(help: "Territory: the region code of the scope (district, street, community or grid).") var territory: String
    @Option(help: "Department (for department handlers).") var department: String?
    @Flag(help: "Read the password from standard input.") var passwordStdin = false

    func run() async throws {
        let accounts = try await accountService(store)
        let code: RegionCode
        do { code = try RegionCode(territory) } catch { throw ValidationError("--territory: \(error)") }
        let (secret, generated) = try password(fromStandardInput: passwordStdin)
        do {
            _ = try await accounts.createAccount(.init(username: username, displayName: name, roles: role, territory: code, department: department, password: secret),
                                                 by: .console(cliActor))
        } catch let refused as AccountChangeRefused {
            throw ValidationError(refused.description)
        }
        print("Created \(username)" + (generated ? " with the password \(secret)" : "") + ".")
    }
}

struct ResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset-password", abstract: "Set a new password (the account's sessions end and its lock lifts).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "User name.") var username: String
    @Flag(help: "Read the password from standard input.") var passwordStdin = false

    func run() async throws {
        let accounts = try await accountService(store)
        let (secret, generated) = try password(fromStandardInput: passwordStdin)
        do {
            try await accounts.resetPassword(of: username, to: secret, by: .console(cliActor))
        } catch AccessDenied.outsideTerritory {
            throw ValidationError("no account \(username)")
        } catch let refused as AccountChangeRefused {
            throw ValidationError(refused.description)
        }
        print("Reset the password of \(username)" + (generated ? " to \(secret)" : "") + ".")
    }
}

struct IssueToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Issue an API token for an account (printed once, stored hashed).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "User name of the account the token acts for.") var username: String
    @Option(help: "What the token is for.") var name: String
    @Option(parsing: .upToNextOption, help: "Permissions (e.g. case.report territory.read).") var permission: [String]
    @Option(help: "Days until it expires (1–366).") var days = 90

    func run() async throws {
        let accounts = try await accountService(store)
        var permissions = Set<Permission>()
        for p in permission {
            guard let known = Permission(rawValue: p) else { throw ValidationError("unknown permission \(p); known: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))") }
            permissions.insert(known)
        }
        guard (1...366).contains(days) else { throw ValidationError("--days: from 1 to 366") }
        do {
            let (secret, token) = try await accounts.issueToken(for: username, name: name, permissions: permissions, lifetime: Double(days) * 86400, by: .console(cliActor))
            print("Token \(token.id ?? 0) for \(username), expires \(isoTimestamp(token.expiresAt)):")
            print(secret)
        } catch AccessDenied.outsideTerritory {
            throw ValidationError("no account \(username)")
        } catch let refused as AccountChangeRefused {
            throw ValidationError(refused.description)
        }
    }
}
