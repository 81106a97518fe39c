/// The classes of personal data CityBrain keeps (PIPL: sensitive personal information is ID
/// numbers, health, precise location, religion, minors' data …). Each class says how a value is
/// shown to someone without the right to see it in clear.
public enum PersonalDataClass: String, Sendable, CaseIterable, Codable {
    case idNumber = "id-number"
    case phone
    case name
    case health
    case preciseLocation = "precise-location"
    /// Tags such as disability, community correction or key youth.
    case sensitiveTags = "sensitive-tags"

    /// The masked form: 330110************, 138****5678, 张*, and no hint at all for health,
    /// location and tags.
    ///
    /// An ID number keeps only its region: answers show a person's address, birth year and sex,
    /// and the number encodes them, so the usual "first 6, last 4" left 33–67 candidates (the day
    /// of birth and the parity of the serial); with the last four hidden too there are
    /// 365 × 500 ≈ 182,000 (the check digit follows from the rest), and a look-up by full number
    /// needs a purpose and is throttled (``RegistryService/lookUp(_:key:purpose:for:requestID:)``).
    public func mask(_ value: String) -> String {
        guard !value.isEmpty else { return "" }
        switch self {
        case .idNumber:
            guard value.count > 10 else { return String(repeating: "*", count: value.count) }
            return String(value.prefix(6)) + String(repeating: "*", count: value.count - 6)
        case .phone:
            guard value.count >= 7 else { return String(repeating: "*", count: value.count) }
            return String(value.prefix(3)) + String(repeating: "*", count: value.count - 7) + String(value.suffix(4))
        case .name: return maskedPersonName(value)
        case .health, .preciseLocation, .sensitiveTags: return "***"
        }
    }
}

extension RegistrySchema {
    /// The personal fields of each kind and their classes.
    public static let personalFields: [RegistryKind: [String: PersonalDataClass]] = Dictionary(uniqueKeysWithValues: RegistryKind.allCases.map { kind in
        (kind, Dictionary(uniqueKeysWithValues: RegistrySchema.of(kind).fields.compactMap { f in f.personal.map { (f.name, $0) } }))
    })

    /// Whether the key of a kind is itself personal (a person's ID number): stores then keep only
    /// its blind index as the key.
    public static func keyIsPersonal(_ kind: RegistryKind) -> Bool { personalFields[kind]?[keyFields[kind] ?? ""] != nil }

    /// A record with its personal fields masked, for every answer that has not been revealed.
    public static func masked(_ entry: RegistryEntry) -> RegistryEntry {
        var e = entry
        let classes = personalFields[entry.kind] ?? [:]
        for (name, value) in e.fields {
            if let c = classes[name] { e.fields[name] = c.mask(value) }
        }
        // A person's birth date comes from the ID number: it is shown as the year only.
        if entry.kind == .person, let birth = e.fields["birth_date"] { e.fields["birth_date"] = String(birth.prefix(4)) }
        if let c = classes[keyFields[entry.kind] ?? ""] { e.key = c.mask(entry.key) }
        return e
    }
}
