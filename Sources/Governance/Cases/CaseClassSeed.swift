/// The seed dictionary: the classes DOMAIN.md names in the national 2 + 2 shape (部件 and 事件 of
/// digital urban management), and the social-governance classes grid work adds (major E07). The
/// national tables are longer; administrators extend this one (stored classes).
///
/// Handling limits follow the published practice where DOMAIN.md gives one (暴露垃圾 4 working
/// hours, 道路不洁 5, 私搭乱建 stop within 4 and demolish within 20 working days: the stop is the
/// case's handling step, demolition a follow-up case); the others are common municipal values.
public enum CaseClassSeed {
    public static let classes: [CaseClass] = entries.map { kind, major, minor, name, normal, urgent in
        let code = try! CaseClassCode(kind: kind, major: major, minor: minor)
        guard let normal, let urgent else { return CaseClass(code: code, name: name, limits: [:]) }
        return CaseClass(code: code, name: name, limits: CaseClass.standardLimits(handle: normal, urgent: urgent))
    }

    private typealias Entry = (CaseKind, String, String, String, TimeLimit?, TimeLimit?)

    private static func major(_ kind: CaseKind, _ major: String, _ name: String) -> Entry { (kind, major, "00", name, nil, nil) }
    private static func minor(_ kind: CaseKind, _ major: String, _ minor: String, _ name: String, _ normal: TimeLimit, _ urgent: TimeLimit) -> Entry {
        (kind, major, minor, name, normal, urgent)
    }

    private static let entries: [Entry] = [
        // 部件: physical assets.
        major(.component, "01", "公用设施"),
        minor(.component, "01", "01", "上水井盖", .hours(4), .hours(1)),
        minor(.component, "01", "02", "污水井盖", .hours(4), .hours(1)),
        minor(.component, "01", "03", "雨水篦子", .hours(8), .hours(2)),
        minor(.component, "01", "04", "路灯", .days(2), .hours(4)),
        minor(.component, "01", "05", "消防栓", .days(1), .hours(2)),
        minor(.component, "01", "06", "电力设施", .days(1), .hours(2)),
        major(.component, "02", "道路交通"),
        minor(.component, "02", "01", "交通信号灯", .hours(4), .hours(1)),
        minor(.component, "02", "02", "交通标志牌", .days(3), .hours(8)),
        minor(.component, "02", "03", "道路护栏", .days(3), .hours(8)),
        minor(.component, "02", "04", "人行道板", .days(5), .days(1)),
        minor(.component, "02", "05", "公交站亭", .days(3), .hours(8)),
        major(.component, "03", "市容环境"),
        minor(.component, "03", "01", "公共厕所", .days(1), .hours(4)),
        minor(.component, "03", "02", "垃圾箱", .days(1), .hours(4)),
        minor(.component, "03", "03", "果皮箱", .days(1), .hours(4)),
        minor(.component, "03", "04", "广告牌匾", .days(5), .hours(8)),
        major(.component, "04", "园林绿化"),
        minor(.component, "04", "01", "行道树", .days(2), .hours(4)),
        minor(.component, "04", "02", "绿地", .days(3), .days(1)),
        minor(.component, "04", "03", "护树设施", .days(3), .days(1)),
        major(.component, "05", "其他设施"),
        minor(.component, "05", "01", "健身设施", .days(3), .days(1)),
        minor(.component, "05", "02", "监控设施", .days(2), .hours(4)),
        minor(.component, "05", "99", "其他部件", .days(5), .days(1)),
        // 事件: behaviour.
        major(.event, "01", "市容环境"),
        minor(.event, "01", "01", "私搭乱建", .hours(4), .hours(2)),
        minor(.event, "01", "02", "暴露垃圾", .hours(4), .hours(2)),
        minor(.event, "01", "03", "积存垃圾渣土", .hours(8), .hours(4)),
        minor(.event, "01", "04", "道路不洁", .hours(5), .hours(2)),
        minor(.event, "01", "05", "水域不洁", .days(1), .hours(4)),
        minor(.event, "01", "06", "绿地脏乱", .days(1), .hours(4)),
        minor(.event, "01", "07", "露天烧烤", .hours(2), .hours(1)),
        major(.event, "02", "宣传广告"),
        minor(.event, "02", "01", "违法小广告", .days(1), .hours(4)),
        minor(.event, "02", "02", "违规户外广告", .days(5), .days(1)),
        minor(.event, "02", "03", "非法散发宣传品", .hours(4), .hours(2)),
        major(.event, "03", "施工管理"),
        minor(.event, "03", "01", "施工扰民", .hours(4), .hours(1)),
        minor(.event, "03", "02", "工地扬尘", .hours(8), .hours(2)),
        minor(.event, "03", "03", "道路遗撒", .hours(4), .hours(1)),
        minor(.event, "03", "04", "违规占道施工", .days(1), .hours(4)),
        minor(.event, "03", "05", "施工安全防护缺失", .days(1), .hours(2)),
        major(.event, "04", "街面秩序"),
        minor(.event, "04", "01", "无照经营游商", .hours(2), .hours(1)),
        minor(.event, "04", "02", "店外经营", .hours(4), .hours(1)),
        minor(.event, "04", "03", "乱堆物料", .hours(8), .hours(2)),
        minor(.event, "04", "04", "机动车乱停放", .hours(2), .hours(1)),
        minor(.event, "04", "05", "非机动车乱停放", .hours(4), .hours(1)),
        major(.event, "05", "突发事件"),
        minor(.event, "05", "01", "路面塌陷", .hours(4), .hours(1)),
        minor(.event, "05", "02", "道路积水", .hours(4), .hours(1)),
        minor(.event, "05", "03", "燃气泄漏", .hours(1), .minutes(30)),
        minor(.event, "05", "04", "自来水管破裂", .hours(4), .hours(1)),
        minor(.event, "05", "05", "火情", .hours(1), .minutes(30)),
        major(.event, "06", "其他事件"),
        minor(.event, "06", "99", "其他事件", .days(5), .days(1)),
        major(.event, "07", "社会治理"),
        minor(.event, "07", "01", "矛盾纠纷", .days(5), .days(1)),
        minor(.event, "07", "02", "安全隐患", .days(2), .hours(4)),
        minor(.event, "07", "03", "消防隐患", .days(1), .hours(2)),
        minor(.event, "07", "04", "食品安全", .days(2), .hours(4)),
        minor(.event, "07", "05", "疫情防控", .days(1), .hours(2)),
        minor(.event, "07", "06", "工伤事故", .days(1), .hours(2)),
        minor(.event, "07", "07", "治安隐患", .days(2), .hours(4)),
        minor(.event, "07", "08", "特殊人群服务管理", .days(5), .days(1)),
    ]
}
