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
    /// Personal data whose display is masked and whose storage the privacy work encrypts.
    public var personal: Bool
    /// Checks and normalises a non-empty value; a returned warning is reported but the value kept.
    public var normalize: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?)

    public init(_ name: String, _ headers: [String], required: Bool = false, personal: Bool = false,
                normalize: @escaping @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = RegistryField.text) {
        self.name = name
        self.headers = [name] + headers
        self.required = required
        self.personal = personal
        self.normalize = normalize
    }

    public static let text: @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) = { s throws(FieldProblem) in
        guard s.count <= 200 else { throw FieldProblem("longer than 200 characters") }
        return (s, nil)
    }

    static func choice(_ options: [String: [String]]) -> @Sendable (String) throws(FieldProblem) -> (value: String, warning: String?) {
        { s throws(FieldProblem) in
            let t = s.lowercased()
            for (value, words) in options where value == t || words.contains(t) { return (value, nil) }
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
        let t = s.replacingOccurrences(of: "平方米", with: "").replacingOccurrences(of: "㎡", with: "").replacingOccurrences(of: "m2", with: "")
            .trimmingWhitespace
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
                RegistryField("id_number", ["身份证号", "公民身份号码", "身份证号码", "证件号码"], required: true, personal: true, normalize: RegistryField.citizenID),
                RegistryField("name", ["姓名"], required: true, personal: true),
                RegistryField("phone", ["联系电话", "手机", "电话", "手机号"], personal: true, normalize: RegistryField.phone),
                RegistryField("household", ["户号", "家庭户号"]),
                RegistryField("relation", ["与户主关系", "关系"]),
                RegistryField("residence_type", ["人口类型", "居住类型", "户籍类型"], normalize: RegistryField.choice([
                    "registered": ["户籍", "户籍人口", "常住", "本地"], "floating": ["流动", "流动人口", "外来", "暂住"], "overseas": ["境外", "境外人员", "外籍"],
                ])),
                RegistryField("tags", ["标签", "人员标签", "特殊人群"], personal: true, normalize: RegistryField.tags),
            ] + addressFields, categoryField: "residence_type")
        case .house:
            RegistrySchema(kind: .house, keyField: "house_code", fields: [
                RegistryField("house_code", ["房屋编码", "房屋编号"], required: true),
                RegistryField("use", ["房屋用途", "用途", "使用情况"], normalize: RegistryField.choice([
                    "self-occupied": ["自住", "自用"], "rented": ["出租", "租赁"], "vacant": ["空置", "闲置"], "commercial": ["商用", "经营", "商业"],
                ])),
                RegistryField("area", ["面积", "建筑面积", "房屋面积"], normalize: RegistryField.area),
                RegistryField("owner_name", ["产权人", "房主", "业主"], personal: true),
                RegistryField("owner_id_number", ["产权人身份证号", "房主身份证号"], personal: true, normalize: RegistryField.citizenID),
            ] + addressFields, categoryField: "use")
        case .enterprise:
            RegistrySchema(kind: .enterprise, keyField: "credit_code", fields: [
                RegistryField("credit_code", ["统一社会信用代码", "信用代码"], required: true, normalize: RegistryField.creditCode),
                RegistryField("name", ["企业名称", "名称", "单位名称"], required: true),
                RegistryField("industry", ["行业", "所属行业", "行业类别"]),
                RegistryField("legal_representative", ["法定代表人", "法人代表", "负责人"], personal: true),
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
