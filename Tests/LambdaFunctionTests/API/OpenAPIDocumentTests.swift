import ElizaHTTP
import ElizaWeb
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// `docs/openapi.yaml` against the routing table: every path and method it lists is routed, to the
/// route whose template it is, and every row of `ElizaAPI.routes` is in it with exactly its methods.
/// The rest of the document (schemas, statuses, media types) is proven in
/// IntegrationTests/test_openapi.py (openapi-spec-validator, schemathesis, recorded responses).
@Suite struct OpenAPIDocumentTests {
    static let file = TestPaths.repositoryRoot + "/docs/openapi.yaml"

    /// The document's `paths:`, read line by line (no YAML library): the layout rules are written at the
    /// top of the document.
    struct PathItem: Equatable {
        var path: String
        var methods: Set<String> = []
        var aliases: [String] = []
    }

    static func pathItems(_ text: String) -> [PathItem] {
        var items: [PathItem] = []
        var inPaths = false
        let operations: Set<String> = ["get", "head", "post", "put", "patch", "delete", "options", "trace"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.hasPrefix("#"), !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                items.append(PathItem(path: String(line.dropFirst(2).dropLast())))
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), !items.isEmpty {
                let entry = line.dropFirst(4)
                if let colon = entry.firstIndex(of: ":"), operations.contains(String(entry[..<colon])),
                    entry[colon...] == ":"
                {
                    items[items.count - 1].methods.insert(entry[..<colon].uppercased())
                } else if entry.hasPrefix("x-eliza-aliases: ["), entry.hasSuffix("]") {
                    let list = entry.dropFirst("x-eliza-aliases: [".count).dropLast()
                    items[items.count - 1].aliases = list.split(separator: ",").map {
                        String($0.filter { $0 != " " && $0 != "'" })
                    }
                }
            }
        }
        return items
    }

    static func document() throws -> [PathItem] {
        let items = pathItems(String(decoding: try TestPaths.read(file), as: UTF8.self))
        try #require(items.count >= 10, "docs/openapi.yaml: paths not found")
        return items
    }

    @Test func everyDocumentedPathAndMethodIsRoutedToTheRouteOfThatTemplate() throws {
        for item in try Self.document() {
            for path in [item.path] + item.aliases {
                for method in item.methods {
                    let route = try #require(
                        try? RoutingTests.route(method, path).get(), "\(method) \(path) is not routed")
                    #expect(route.entry.template == item.path, "\(method) \(path) reaches \(route.entry.template)")
                }
                // The methods are exactly the route's: the others are answered 405.
                let route = try RoutingTests.route(item.methods.sorted()[0], path).get().entry
                #expect(Set(route.methods) == item.methods, "\(path): \(item.methods.sorted()) vs \(route.methods)")
            }
        }
    }

    @Test func everyRouteIsDocumentedWithEveryPathThatReachesIt() throws {
        let items = try Self.document()
        let documented = Set(items.flatMap { [$0.path] + $0.aliases })
        for entry in ElizaAPI.routes {
            let item = try #require(
                items.first { $0.path == entry.template }, "\(entry.template) is not in docs/openapi.yaml")
            #expect(item.methods == Set(entry.methods), "\(entry.template)")
            for path in entry.paths {
                #expect(documented.contains(path), "\(path) (\(entry.template)) is neither a path nor an alias")
            }
        }
        #expect(Set(items.map(\.path)).count == items.count, "a path listed twice")
    }

    @Test func theReaderSeesTheLayoutItRelies() {
        let items = Self.pathItems(
            """
            openapi: 3.1.0
            paths:
              /v1/a:
                x-eliza-aliases: [/a, '/b/{id}']
                get:
                  responses:
                    '200': {description: ok}
                head:
                  summary: x
              /:
                post:
                  post: {}
            components:
              /not-a-path:
                get: {}
            """)
        #expect(
            items == [
                PathItem(path: "/v1/a", methods: ["GET", "HEAD"], aliases: ["/a", "/b/{id}"]),
                PathItem(path: "/", methods: ["POST"]),
            ])
    }

    @Test func itIsServedAsCompiledInWithoutAKey() throws {
        let keyed = APIHarness { $0.apiKey = "sk-secret" }
        let response = keyed.handle(.get("/openapi.yaml"))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/yaml")
        #expect(response.body == (try TestPaths.read(Self.file)), "the document compiled in is the file")
        #expect(response.body == WebAsset.openapi.bytes)
        let denied = APIHarness { $0.allowList = allowList("203.0.113.0/24") }
            .handle(.get("/openapi.yaml", callerIP: "198.51.100.9"))
        #expect(denied.status == 403)
        #expect(
            APIHarness().handle(HTTPRequest(method: "POST", path: "/openapi.yaml", callerIP: "203.0.113.7")).status
                == 405)
    }

    /// On Lambda as locally: the playground's HTTP API event, for `/openapi.yaml` instead of `/`.
    @Test func anHTTPAPIEventGetsIt() throws {
        let event = String(decoding: try LambdaEventTests.fixture("http-api-v2-playground.json"), as: UTF8.self)
            .replacing(#""rawPath": "/""#, with: #""rawPath": "/openapi.yaml""#)
            .replacing(#""path": "/""#, with: #""path": "/openapi.yaml""#)
        let handled = try LambdaEventTests.Handled(Array(event.utf8))
        let response = try LambdaEventTests.ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/yaml")
        #expect(Array(response.body.utf8) == (try TestPaths.read(Self.file)))
        #expect(handled.log.first?["path"]?.string == "/openapi.yaml")
    }

    /// The document's version is the binary's (`eliza-lambda --version`).
    @Test func itsVersionIsTheBinarys() throws {
        let text = String(decoding: try TestPaths.read(Self.file), as: UTF8.self)
        let version = try #require(Entry.version.split(separator: " ").dropFirst().first)
        #expect(text.contains("\n  version: \(version)\n"))
    }
}
