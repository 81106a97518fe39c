import Foundation

/// Why a field value is refused, and what the row may still carry as a warning.
public struct FieldProblem: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// One field of a registry: the names it goes by in department files, and how its values are
/// checked and written.
public struct RegistryField: Sendable {
    public var name: String
    public var headers: [String]
    public var required: Bool
    /// Personal data: masked in answers, sealed (encrypted) at rest, its class says how to mask.
    public var personal: PersonalDataClass?
    /// Checks and normalises a non-empty value; a returned warning is reported but the value kept.
    public var normalize: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?)

    public init(_ name: String, _ headers: [String], required: Bool = false, personal: PersonalDataClass? = nil,
                normalize: @escaping @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = RegistryField.text) {
        self.name = name
        self.headers = [name] + headers
        self.required = required
        self.personal = personal
        self.normalize = normalize
    }

    public static let text: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        // Counting characters walks grapheme clusters; 200 bytes are never more than 200 characters.
        guard s.utf8.count <= 200 || s.count <= 200 else { throw FieldProblem("longer than 200 characters") }
        return (s, nil)
    }

    static func choice(_ options: [String: [String]]) -> @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) {
        var values: [String: String] = [:]
        for (value, words) in options {
            values[value] = value
            for w in words { values[w.lowercased()] = value }
        }
        return { [values] s throws(FieldProblem) in
            if let value = values[s] ?? values[s.lowercased()] { return (value, nil) }
            throw FieldProblem("one of \(options.keys.sorted().map { "\($0) (\(options[$0]!.joined(separator: "/")))" }.joined(separator: ", "))")
        }
    }

    static let tags: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        var seen: [String] = []
        for part in s.split(whereSeparator: { ",，、;；/| ".contains($0) }) {
            let tag = String(part).trimmingWhitespace
            if !tag.isEmpty && !seen.contains(tag) { seen.append(tag) }
        }
        return (seen.joined(separator: "、"), nil)
    }

    static let citizenID: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        do throws(CitizenID.Invalid) { return (try CitizenID(s).value, nil) } catch { throw FieldProblem("not a valid ID number: \(error.reason)") }
    }

    static let phone: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        do throws(PhoneNumber.Invalid) { return (try PhoneNumber(s).digits, nil) } catch { throw FieldProblem("\(error)") }
    }

    static let creditCode: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        do throws(CreditCode.Invalid) {
            let code = try CreditCode(s)
            return (code.value, code.warning)
        } catch { throw FieldProblem("not a valid unified social credit code: \(error.reason)") }
    }

    static let area: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        // Most files give a bare number; units are cut off only when there is something to cut.
        let t = s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) ? s
            : s.replacingOccurrences(of: "平方米", with: "").replacingOccurrences(of: "㎡", with: "").replacingOccurrences(of: "m2", with: "").trimmingWhitespace
        guard let v = Double(t), v > 0, v < 1_000_000 else { throw FieldProblem("an area in m² greater than 0 is required") }
        let cents = Int((v * 100).rounded())
        return ("\(cents / 100).\(zeroPadded(cents % 100, 2))", v > 5_000 ? "an unusually large area (\(t) m²)" : nil)
    }
}

/// The fields of each registry.
public struct RegistrySchema: Sendable {
    public var kind: RegistryKind
    /// The field that identifies a record (merged on, never doubled).
    public var keyField: String
    public var fields: [RegistryField]
    /// The field layers and statistics group by.
    public var categoryField: String?

    /// Columns that tie a record to its standard address: a code, or a text matched to the library.
    static let addressFields = [
        RegistryField("address_code", ["地址编码", "标准地址编码"]),
        RegistryField("address", ["地址", "详细地址", "住址", "现住址", "居住地址", "经营地址", "注册地址"]),
    ]

    public static func of(_ kind: RegistryKind) -> RegistrySchema {
        switch kind {
        case .person:
            RegistrySchema(kind: .person, keyField: "id_number", fields: [
                RegistryField("id_number", ["身份证号", "公民身份号码", "身份证号码", "证件号码"], required: true, personal: .idNumber, normalize: RegistryField.citizenID),
                RegistryField("name", ["姓名"], required: true, personal: .name),
                RegistryField("phone", ["联系电话", "手机", "电话", "手机号"], personal: .phone, normalize: RegistryField.phone),
                RegistryField("household", ["户号", "家庭户号"]),
                RegistryField("relation", ["与户主关系", "关系"]),
                RegistryField("residence_type", ["人口类型", "居住类型", "户籍类型"], normalize: RegistryField.choice([
                    "registered": ["户籍", "户籍人口", "常住", "本地"], "floating": ["流动", "流动人口", "外来", "暂住"], "overseas": ["境外", "境外人员", "外籍"],
                ])),
                RegistryField("tags", ["标签", "人员标签", "特殊人群"], personal: .sensitiveTags, normalize: RegistryField.tags),
            ] + addressFields, categoryField: "residence_type")
        case .house:
            RegistrySchema(kind: .house, keyField: "house_code", fields: [
                RegistryField("house_code", ["房屋编码", "房屋编号"], required: true),
                RegistryField("use", ["房屋用途", "用途", "使用情况"], normalize: RegistryField.choice([
                    "self-occupied": ["自住", "自用"], "rented": ["出租", "租赁"], "vacant": ["空置", "闲置"], "commercial": ["商用", "经营", "商业"],
                ])),
                RegistryField("area", ["面积", "建筑面积", "房屋面积"], normalize: RegistryField.area),
                RegistryField("owner_name", ["产权人", "房主", "业主"], personal: .name),
                RegistryField("owner_id_number", ["产权人身份证号", "房主身份证号"], personal: .idNumber, normalize: RegistryField.citizenID),
            ] + addressFields, categoryField: "use")
        case .enterprise:
            RegistrySchema(kind: .enterprise, keyField: "credit_code", fields: [
                RegistryField("credit_code", ["统一社会信用代码", "信用代码"], required: true, normalize: RegistryField.creditCode),
                RegistryField("name", ["企业名称", "名称", "单位名称"], required: true),
                RegistryField("industry", ["行业", "所属行业", "行业类别"]),
                RegistryField("legal_representative", ["法定代表人", "法人代表", "负责人"], personal: .name),
                RegistryField("tags", ["风险标签", "标签", "企业标签"], normalize: RegistryField.tags),
            ] + addressFields, categoryField: "industry")
        case .place:
            RegistrySchema(kind: .place, keyField: "place_code", fields: [
                RegistryField("place_code", ["场所编码", "编码"], required: true),
                RegistryField("name", ["场所名称", "名称"], required: true),
                RegistryField("kind", ["场所类型", "类型", "类别"], required: true),
                RegistryField("tags", ["标签"], normalize: RegistryField.tags),
            ] + addressFields, categoryField: "kind")
        }
    }

    /// The category field of each kind, without building the schemas.
    static let categoryFields: [RegistryKind: String] = Dictionary(uniqueKeysWithValues: RegistryKind.allCases.compactMap { k in
        RegistrySchema.of(k).categoryField.map { (k, $0) }
    })

    public var mapping: ColumnMapping {
        ColumnMapping(fields: fields.map { ($0.name, $0.headers) }, required: Set(fields.filter(\.required).map(\.name)))
    }
}

extension RegistrySchema {
    /// The key field of each kind, without building the schemas.
    static let keyFields: [RegistryKind: String] = Dictionary(uniqueKeysWithValues: RegistryKind.allCases.map { ($0, RegistrySchema.of($0).keyField) })

    /// What a record's key says about it: the sex and birth date in a person's 18-digit ID number
    /// (checked on import, so the digits are trusted here).
    public static func derivedFields(_ kind: RegistryKind, key: String) -> [(name: String, value: String)] {
        guard kind == .person, key.utf8.count == 18 else { return [] }
        let b = Array(key.utf8)
        guard b[6..<17].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return [] }
        let sex = (b[16] - 48) % 2 == 1 ? CitizenID.Sex.male.rawValue : CitizenID.Sex.female.rawValue
        let birth = String(decoding: b[6..<10], as: UTF8.self) + "-" + String(decoding: b[10..<12], as: UTF8.self) + "-" + String(decoding: b[12..<14], as: UTF8.self)
        return [("sex", sex), ("birth_date", birth)]
    }

    /// Whether a field's value follows from the record's key (the key field itself, or what the key
    /// says): a store need not keep it, and ``restoringImpliedFields(_:kind:key:)`` gives it back.
    public static func isImplied(field: String, value: String, kind: RegistryKind, key: String) -> Bool {
        if field == keyFields[kind] { return value == key }
        guard kind == .person, field == "sex" || field == "birth_date", key.utf8.count == 18 else { return false }
        // Compared byte by byte: a store asks this for every field of millions of records.
        var id = key
        return id.withUTF8 { k in
            guard k[6..<17].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            if field == "sex" { return value == ((k[16] - 48) % 2 == 1 ? "male" : "female") }
            let v = Array(value.utf8)
            return v.count == 10 && v[4] == 0x2D && v[7] == 0x2D && v[0..<4].elementsEqual(k[6..<10])
                && v[5..<7].elementsEqual(k[10..<12]) && v[8..<10].elementsEqual(k[12..<14])
        }
    }

    /// The fields with those implied by the key put back.
    public static func restoringImpliedFields(_ stored: [String: String], kind: RegistryKind, key: String) -> [String: String] {
        var fields = stored
        // An erased person's random key implies nothing.
        guard !key.hasPrefix(RegistryEntry.erasedKeyPrefix) else { return fields }
        if let keyField = keyFields[kind], fields[keyField] == nil { fields[keyField] = key }
        for (name, value) in derivedFields(kind, key: key) where fields[name] == nil { fields[name] = value }
        return fields
    }
}
