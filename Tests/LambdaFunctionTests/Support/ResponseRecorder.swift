import ElizaHTTP
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Under `ELIZA_RECORD_RESPONSES=DIR` (Tools/test.sh sets it), every response the API answers in these
/// tests through `APIHarness` and the Lambda event tests is written to DIR, one JSON file each
/// (`{"source", "method", "path", "status", "headers", "body_base64"}`), and
/// IntegrationTests/test_openapi.py validates each against docs/openapi.yaml. Without it, nothing is
/// written.
enum ResponseRecorder {
    static let directory: String? = getenv("ELIZA_RECORD_RESPONSES").map { String(cString: $0) }
    private static let count = Atomic<Int>(0)

    struct Record: Encodable {
        var source = "swift"
        var method: String
        var path: String
        var status: Int
        var headers: [String: String]
        var bodyBase64: String

        enum CodingKeys: String, CodingKey {
            case source, method, path, status, headers
            case bodyBase64 = "body_base64"
        }
    }

    /// The path as a client would have sent it: each decoded segment with `%`, `/`, `?` and `#`
    /// encoded again (so `/v1/chat%2Fcompletions` is not recorded as the route it does not reach),
    /// then the query as it arrived.
    static func sentPath(_ target: HTTPRequestTarget) -> String {
        guard target.path != "*" else { return "*" }
        let segments = target.pathSegments.map { segment in
            segment.replacing("%", with: "%25").replacing("/", with: "%2F").replacing("?", with: "%3F")
                .replacing("#", with: "%23")
        }
        let path = "/" + segments.joined(separator: "/")
        return target.query.isEmpty ? path : path + "?" + target.query
    }

    /// Writes `response` to the recording directory, when there is one.
    static func record(_ request: HTTPRequest, _ response: HTTPResponse) {
        guard let directory, !directory.isEmpty else { return }
        let record = Record(
            method: request.method, path: sentPath(request.target), status: response.status,
            headers: Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }) { first, _ in first },
            bodyBase64: Data(response.body).base64EncodedString())
        let number = count.add(1, ordering: .relaxed).newValue
        let url = URL(filePath: directory).appending(path: "swift-\(getpid())-\(number).json")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try JSONEncoder().encode(record).write(to: url)
        } catch {
            fatalError("ELIZA_RECORD_RESPONSES: cannot write \(url.path): \(error)")
        }
    }
}
