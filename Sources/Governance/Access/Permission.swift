/// One thing an account may do. Roles are sets of permissions; routes and services ask for exactly
/// one permission each, and territory decides the rest.
public enum Permission: String, CaseIterable, Codable, Sendable, Comparable {
    // Territory and base data.
    case territoryRead = "territory.read"
    case territoryManage = "territory.manage"
    case addressRead = "address.read"
    case addressManage = "address.manage"
    case layerRead = "layer.read"
    case layerManage = "layer.manage"
    /// Registry records (people, houses, enterprises, places) with personal data masked.
    case registryRead = "registry.read"
    case registryImport = "registry.import"
    /// Seeing a masked personal field in clear, with a stated purpose (audited).
    case personalDataReveal = "personal-data.reveal"
    /// Exporting personal data to a file (audited, the file names who and when).
    case personalDataExport = "personal-data.export"
    /// Erasing a person's personal data (PIPL); statistics stay.
    case personalDataErase = "personal-data.erase"
    // The closed loop of cases.
    case caseRead = "case.read"
    case caseReport = "case.report"
    case caseRegister = "case.register"
    case caseDispatch = "case.dispatch"
    case caseHandle = "case.handle"
    case caseInspect = "case.inspect"
    case caseSupervise = "case.supervise"
    case caseEvaluate = "case.evaluate"
    /// The loop's dictionaries: case classes and their time limits, the working calendar,
    /// departments and the routing table.
    case caseConfigure = "case.configure"
    /// Uploading photos and documents for case steps.
    case attachmentUpload = "attachment.upload"
    // Seeing the district as numbers.
    case kpiRead = "kpi.read"
    case cockpitRead = "cockpit.read"
    // Oversight and administration.
    case auditRead = "audit.read"
    case accountManage = "account.manage"
    case roleManage = "role.manage"
    case tokenManage = "token.manage"

    public static func < (l: Permission, r: Permission) -> Bool { l.rawValue < r.rawValue }

    public var chineseName: String {
        switch self {
        case .territoryRead: "查看区划网格"
        case .territoryManage: "管理区划网格"
        case .addressRead: "查看标准地址"
        case .addressManage: "管理标准地址"
        case .layerRead: "查看专题图层"
        case .layerManage: "管理专题图层"
        case .registryRead: "查看人房企物(脱敏)"
        case .registryImport: "导入人房企物"
        case .personalDataReveal: "查看个人信息明文"
        case .personalDataExport: "导出个人信息"
        case .personalDataErase: "删除个人信息"
        case .caseRead: "查看案件"
        case .caseReport: "上报案件"
        case .caseRegister: "立案"
        case .caseDispatch: "派遣"
        case .caseHandle: "处置"
        case .caseInspect: "核查"
        case .caseSupervise: "督办"
        case .caseEvaluate: "评价"
        case .caseConfigure: "配置案件字典"
        case .attachmentUpload: "上传附件"
        case .kpiRead: "查看考核指标"
        case .cockpitRead: "查看驾驶舱"
        case .auditRead: "查阅审计日志"
        case .accountManage: "管理账号"
        case .roleManage: "管理角色"
        case .tokenManage: "管理接口令牌"
        }
    }
}
