import Foundation
import Hummingbird

/// The language a problem is written in: Chinese unless the reader's `Accept-Language` prefers
/// English. The pages send their own language; API clients send theirs.
enum ReaderLanguage: Equatable {
    case chinese, english

    init(acceptLanguage: String?) {
        // The tag with the highest q (the first of equals) decides; anything but English reads Chinese.
        var best: (tag: String, q: Double)?
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = pieces.first, !tag.isEmpty else { continue }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if best == nil || q > best!.q { best = (tag, q) }
        }
        self = best.map { $0.tag.hasPrefix("en") } == true ? .english : .chinese
    }
}

/// The Chinese words of problems: titles and fixed details by kind, and the common field reasons.
/// Reasons composed from data (a code, a name) stay as the domain wrote them where no pattern
/// below covers them.
enum ChineseProblemText {
    static let titles: [String: String] = [
        "unauthenticated": "需要登录", "forbidden": "无权操作", "not-found": "未找到", "csrf": "禁止", "session-required": "禁止",
        "login-failed": "登录失败", "throttled": "请求过多", "invalid-token": "令牌无效", "invalid-request": "请求有误",
        "invalid-transition": "当前状态下不能这样做", "version-conflict": "案件已被他人修改", "conflict": "冲突",
        "method-not-allowed": "不支持的方法", "too-large": "请求体过大", "batch-too-large": "点数过多", "unsupported-media-type": "不支持的媒体类型",
        "internal": "服务器内部错误", "not-ready": "服务尚未就绪",
    ]

    static func detail(kind: String, english: String, path: String) -> String? {
        switch kind {
        case "unauthenticated": return "请先登录，或随请求发送 API 令牌"
        case "forbidden":
            if english.hasPrefix("the permission "), let permission = english.split(separator: " ").dropFirst(2).first { return "需要权限 \(permission)" }
            return "您没有执行此操作的权限"
        case "not-found": return "没有这个资源：\(path)"
        case "csrf": return "浏览器会话的写操作需要本次会话的 X-CSRF-Token 请求头"
        case "session-required": return "只有登录的会话可以这样做，API 令牌不行"
        case "login-failed": return "用户名或密码错误，或账号因多次失败已被锁定"
        case "throttled": return "请求过于频繁，请按 Retry-After 所示的时间后再试"
        case "invalid-token": return "API 令牌未知、已过期或已被吊销"
        case "version-conflict": return "案件已被他人修改：请刷新后再操作"
        case "method-not-allowed": return "此地址不支持该请求方法"
        case "too-large", "batch-too-large": return "请求体超过允许的大小：" + english
        case "unsupported-media-type": return "请以 application/json 发送请求体"
        case "internal": return "服务器未能完成请求，已记录在日志中"
        default: return nil
        }
    }

    /// Fixed reasons, and patterns with one number or value in them.
    static let reasons: [String: String] = [
        "is required": "必填",
        "must be a string": "必须是字符串",
        "must be a list of strings": "必须是字符串列表",
        "must not be null": "不能为空值",
        "the body is not valid JSON": "请求体不是有效的 JSON",
        "contains a NUL character": "含有 NUL 字符",
        "say what the problem is": "请说明是什么问题",
        "lies outside the territory of your account": "不在您账号的辖区内",
        "lies outside every grid of the territory": "不在本区任何网格内",
        "give a position, an address code or an address text": "请给出位置、地址编码或地址文字",
        "longitude and latitude in degrees (WGS-84)": "经纬度（WGS-84，单位：度）",
        "say why the data is needed": "请说明用途",
        "say why the data is needed (at least 4 characters)": "请说明用途（至少 4 个字）",
        "say why you look this person up (at least 4 characters)": "请说明查询此人的用途（至少 4 个字）",
        "the current password is wrong, or the account is locked": "当前密码错误，或账号已被锁定",
        "a date YYYY-MM-DD from 1900 to 2199": "日期，格式 YYYY-MM-DD，1900 至 2199 年",
        "a date YYYY-MM-DD from 1900 to 2199 (inclusive)": "日期，格式 YYYY-MM-DD，1900 至 2199 年（含当日）",
        "a date from 1900 to 2199": "1900 至 2199 年之间的日期",
        "a month such as 2026-11": "月份，如 2026-11",
        "a year such as 2026": "年份，如 2026",
        "me (one's own reports)": "me（自己的上报）",
        "is a required number": "必填的数字",
        "name the day (国庆节, 调休上班 …)": "请为这一天命名（国庆节、调休上班 …）",
        "a user name has 3–64 letters, digits, '.', '_' or '-'": "用户名为 3–64 个字母、数字、“.”、“_”或“-”",
        "a display name is required": "需要显示名称",
        "an account needs at least one role": "账号至少需要一个角色",
        "a token needs a name": "令牌需要名称",
        "a token needs at least one permission": "令牌至少需要一项权限",
    ]

    static func reason(_ english: String) -> String {
        if let fixed = reasons[english] { return fixed }
        if english.hasPrefix("is longer than "), let n = english.split(separator: " ").dropFirst(3).first { return "超过 \(n) 个字符" }
        if english.hasPrefix("contains the control character ") { return "含有控制字符 " + english.dropFirst("contains the control character ".count) }
        if english.hasPrefix("an integer from ") {
            let words = english.split(separator: " ")
            if words.count == 6 { return "\(words[3]) 至 \(words[5]) 的整数" }
        }
        if english.hasSuffix(" is a name the system uses for itself") { return "“\(english.dropLast(" is a name the system uses for itself".count))”是系统自用的名称" }
        if english.hasSuffix(" is taken") { return "“\(english.dropLast(" is taken".count))”已被占用" }
        if english.hasPrefix("you cannot grant what you do not hold: ") { return "不能授予您自己没有的权限：" + english.dropFirst("you cannot grant what you do not hold: ".count) }
        return english
    }
}

extension Problem {
    /// The problem in the reader's language.
    func written(for language: ReaderLanguage, path: String) -> Problem {
        guard language == .chinese else { return self }
        var p = self
        p.errors = errors.map { FieldError(field: $0.field, reason: ChineseProblemText.reason($0.reason)) }
        p.title = ChineseProblemText.titles[kind] ?? title
        if kind == "invalid-request", !p.errors.isEmpty {
            p.detail = p.errors.map { "\($0.field)：\($0.reason)" }.joined(separator: "；")
        } else {
            p.detail = ChineseProblemText.detail(kind: kind, english: detail, path: path) ?? detail
        }
        return p
    }
}
