import Foundation
import Hummingbird
import Logging

/// The request context of every CityBrain route: Hummingbird's core storage plus the request id
/// that ties log lines, responses and (later) audit entries together.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }

    /// Large enough for a batch of 10,000 points with ids.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}
