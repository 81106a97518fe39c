import Foundation
import Governance

/// One account per built-in role, in the demo district's territory: the first street, its first
/// community and that community's first grid for the roles that work locally. Passwords are random,
/// printed once when created and kept in a file beside the database (readable by its owner only),
/// so that later runs can print them again: the database itself holds only bcrypt hashes.
enum DemoAccounts {
    struct Planned {
        var username: String
        var displayName: String
        var role: Role
        var territory: RegionCode
        var department: String?
    }

    static func plan(_ territory: Territory) -> [Planned] {
        guard let district = territory.regions(level: .district, under: nil).first?.code else { return [] }
        let street = territory.regions(level: .street, under: district).first?.code ?? district
        let community = territory.regions(level: .community, under: street).first?.code ?? street
        let grid = territory.regions(level: .grid, under: community).first?.code ?? community
        return [
            Planned(username: "admin", displayName: "区级管理员", role: .districtAdministrator, territory: district),
            Planned(username: "street-admin", displayName: "街道管理员", role: .streetAdministrator, territory: street),
            Planned(username: "community-leader", displayName: "社区网格长", role: .communityLeader, territory: community),
            Planned(username: "grid-worker", displayName: "网格员", role: .gridWorker, territory: grid),
            Planned(username: "dispatcher", displayName: "指挥中心调度员", role: .dispatcher, territory: district),
            Planned(username: "supervisor", displayName: "监督员", role: .supervisor, territory: street),
            Planned(username: "handler", displayName: "城管局处置人员", role: .departmentHandler, territory: district, department: "urban-management"),
            Planned(username: "analyst", displayName: "数据分析员", role: .analyst, territory: district),
            Planned(username: "auditor", displayName: "审计员", role: .auditor, territory: district),
            Planned(username: "citizen", displayName: "市民", role: .citizen, territory: district),
            Planned(username: "system-12345", displayName: "12345热线系统", role: .externalSystem, territory: district),
        ]
    }

    static func file(for database: String) -> URL { URL(fileURLWithPath: database + ".demo-accounts.txt") }

    /// Creates the accounts that do not exist yet and returns the lines to print (all accounts, with
    /// the passwords known from this run or from the file).
    static func ensure(_ accounts: AccountService, territory: Territory, database: String) async throws -> [String] {
        let file = file(for: database)
        var known: [String: String] = [:]
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "\t")
                if parts.count >= 2 { known[String(parts[0])] = String(parts[1]) }
            }
        }
        let console = Principal.console("demo")
        var lines: [String] = []
        for planned in plan(territory) {
            if try await accounts.store.account(username: planned.username) == nil {
                let password = "Demo-" + SecretToken.generate(bytes: 9) + "-1"
                _ = try await accounts.createAccount(.init(username: planned.username, displayName: planned.displayName, roles: [planned.role.id],
                                                           territory: planned.territory, department: planned.department, password: password), by: console)
                known[planned.username] = password
            }
            lines.append("\(planned.username)\t\(known[planned.username] ?? "(set before; see citybrain account reset-password)")\t\(planned.role.id)\t\(planned.role.name)\t\(planned.territory)")
        }
        let header = "# CityBrain demo accounts: user name, password, role, territory. Delete this file once you have changed the passwords.\n"
        if !FileManager.default.createFile(atPath: file.path, contents: Data((header + lines.joined(separator: "\n") + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600]) {
            printError("Could not write \(file.path): note the passwords below, they are not shown again.")
        }
        return lines
    }
}
