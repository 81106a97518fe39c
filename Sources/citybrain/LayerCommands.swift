import ArgumentParser
import Foundation
import Governance

struct LayerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "layer", abstract: "List, define and remove thematic layers.",
                                                    subcommands: [ListLayers.self, AddLayer.self, RemoveLayer.self])
}

extension LayerSubject: ExpressibleByArgument {}

struct ListLayers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The layers: 26 built in, then those defined here.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let services = try await openServices(store)
        for l in services.layers.definitions {
            var rule: [String] = []
            if !l.rule.categories.isEmpty { rule.append("categories: " + l.rule.categories.joined(separator: "/")) }
            if !l.rule.tags.isEmpty { rule.append("tags: " + l.rule.tags.joined(separator: "/")) }
            if !l.rule.keys.isEmpty { rule.append("\(l.rule.keys.count) members by hand") }
            print("\(l.builtIn ? " " : "*") \(l.id)\t\(l.name)\t\(l.subject.rawValue)\t\(rule.isEmpty ? "all" : rule.joined(separator: "; "))")
        }
    }
}

struct AddLayer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Define a layer (or change one defined before).",
        discussion: """
            Members are the records of the subject whose category (residence type, house use, \
            industry, place kind) or tag is any of those given; with --keys-file, only the records \
            listed there (one key or address code per line). Example: citybrain layer add --id \
            petrol-stations --name 加油站 --subject place --category 加油站
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "Identifier: ASCII letters, digits and dashes.") var id: String
    @Option(help: "Name shown on the map.") var name: String
    @Option(help: "English name (default: the id).") var englishName: String?
    @Option(help: "address, person, house, enterprise or place.") var subject: LayerSubject
    @Option(name: .customLong("category"), help: "A category that makes a record a member (repeatable).") var categories: [String] = []
    @Option(name: .customLong("tag"), help: "A tag that makes a record a member (repeatable).") var tags: [String] = []
    @Option(help: "File listing the members by key, one per line.") var keysFile: String?

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let services = try await openServices(store)
        var keys: [String] = []
        if let keysFile {
            keys = try String(contentsOfFile: keysFile, encoding: .utf8).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let layer = LayerDefinition(id: id, name: name, englishName: englishName ?? id, subject: subject,
                                    rule: LayerRule(categories: categories, tags: tags, keys: keys))
        do { try await services.layers.define(layer, actor: cliActor) } catch let e as LayerDefinition.Invalid { throw ValidationError(e.reason) }
        print("Layer \(id) (\(name)) saved.")
    }
}

struct RemoveLayer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a layer defined here (built-in layers stay).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The layer's id.") var id: String

    func run() async throws {
        _ = makeLogger(store.logLevel)
        let services = try await openServices(store)
        do {
            guard try await services.layers.remove(id, actor: cliActor) else { throw ValidationError("no layer \(id)") }
        } catch let e as LayerDefinition.Invalid { throw ValidationError(e.reason) }
        print("Layer \(id) removed.")
    }
}
