import Foundation

/// A thematic cockpit (the "X" of 1+8+X): a topic defined by its case classes and the layers
/// that show its subjects on the map, watched over the viewer's territory.
public struct ThematicCockpit: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var englishName: String
    /// Minor (`E0706`) or major (`E07`) case classes.
    public var classes: [String]
    /// Layer ids shown on the cockpit's map.
    public var layers: [String]

    public init(id: String, name: String, englishName: String, classes: [String], layers: [String]) {
        self.id = id
        self.name = name
        self.englishName = englishName
        self.classes = classes
        self.layers = layers
    }
}

/// The thematic cockpits in force: the standard ones, or those of a configuration file
/// (`citybrain serve --cockpits FILE`, a JSON array of ``ThematicCockpit``).
public struct CockpitCatalog: Sendable {
    public var thematic: [ThematicCockpit]

    public init(thematic: [ThematicCockpit]) { self.thematic = thematic }

    public func cockpit(_ id: String) -> ThematicCockpit? { thematic.first { $0.id == id } }

    public static let standard = CockpitCatalog(thematic: [
        ThematicCockpit(id: "production-safety", name: "安全生产", englishName: "Production safety",
                        classes: ["E0702", "E0703", "E0706", "E0305", "E0503", "E0505"], layers: ["production-safety", "fire-safety-key-units"]),
        ThematicCockpit(id: "food-safety", name: "食品安全", englishName: "Food safety", classes: ["E0704"], layers: ["catering"]),
        ThematicCockpit(id: "epidemic-prevention", name: "疫情防控", englishName: "Epidemic prevention", classes: ["E0705"],
                        layers: ["medical-institutions", "elderly-care", "elderly-living-alone"]),
        ThematicCockpit(id: "social-stability", name: "平安稳定", englishName: "Peace and stability", classes: ["E0701", "E0707", "E0708"],
                        layers: ["community-correction", "key-youth"]),
        ThematicCockpit(id: "city-appearance", name: "城市管理", englishName: "City management", classes: ["E01", "E02", "E04", "C03"], layers: []),
    ])

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var source: String
        /// Where in the file: `[2].classes[0]`.
        public var path: String
        public var reason: String
        public var description: String { "\(source) \(path): \(reason)" }
    }

    /// Reads and checks a configuration: ids unique (lower-case letters, digits, hyphens), names
    /// given, classes in the dictionary, layers known.
    public static func load(_ data: Data, source: String, classes: CaseClassDictionary, layers: Set<String>) throws(Invalid) -> CockpitCatalog {
        let entries: [ThematicCockpit]
        do {
            entries = try JSONDecoder().decode([ThematicCockpit].self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw Invalid(source: source, path: Self.path(context.codingPath), reason: "\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw Invalid(source: source, path: Self.path(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.valueNotFound(_, context) {
            throw Invalid(source: source, path: Self.path(context.codingPath), reason: "a value is required")
        } catch {
            throw Invalid(source: source, path: "", reason: "not a JSON array of cockpits (id, name, englishName, classes, layers): \(error)")
        }
        var seen: Set<String> = []
        for (i, cockpit) in entries.enumerated() {
            guard Role.isValidID(cockpit.id) else {
                throw Invalid(source: source, path: "[\(i)].id", reason: "\"\(cockpit.id)\": lower-case letters, digits and hyphens, 2–40 characters")
            }
            guard seen.insert(cockpit.id).inserted else { throw Invalid(source: source, path: "[\(i)].id", reason: "\"\(cockpit.id)\" is used twice") }
            if cockpit.name.trimmingCharacters(in: .whitespaces).isEmpty { throw Invalid(source: source, path: "[\(i)].name", reason: "a name is required") }
            if cockpit.classes.isEmpty { throw Invalid(source: source, path: "[\(i)].classes", reason: "at least one case class") }
            for (j, text) in cockpit.classes.enumerated() {
                let known: Bool = if text.count == 3, let major = try? CaseClassCode(text + "00") { classes.class(major) != nil }
                    else if let code = try? CaseClassCode(text) { classes.class(code) != nil } else { false }
                if !known {
                    throw Invalid(source: source, path: "[\(i)].classes[\(j)]", reason: "\"\(text)\" is not a class of the dictionary (E0706, or a major class such as E07)")
                }
            }
            for (j, layer) in cockpit.layers.enumerated() where !layers.contains(layer) {
                throw Invalid(source: source, path: "[\(i)].layers[\(j)]", reason: "no layer \"\(layer)\"")
            }
        }
        return CockpitCatalog(thematic: entries)
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }.joined()
    }
}
