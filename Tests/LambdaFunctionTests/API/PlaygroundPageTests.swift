import ElizaHTTP
import ElizaScripts
import ElizaWeb
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// The playground: `GET /` and `GET /favicon.ico` (docs/api.md, "The playground"), and the models list's
/// `eliza` member the page reads each script's greeting from. The page itself runs in a real browser
/// in IntegrationTests/test_playground_browser.py.
@Suite struct PlaygroundPageTests {
    static let pageFile = TestPaths.repositoryRoot + "/Web/playground.html"
    static let iconFile = TestPaths.repositoryRoot + "/Web/favicon.svg"

    @Test func thePageIsWebPlaygroundHTMLWithItsPolicy() throws {
        let response = APIHarness().handle(.get("/"))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/html; charset=utf-8")
        #expect(response.body == (try TestPaths.read(Self.pageFile)), "the page compiled in is the file, byte for byte")
        let policy = try #require(response.header("content-security-policy"))
        #expect(policy == WebAsset.playground.contentSecurityPolicy)
        #expect(policy.hasPrefix("default-src 'self'; script-src 'sha256-"))
        #expect(policy.contains("; style-src 'sha256-") && policy.contains("frame-ancestors 'none'"))
        #expect(!policy.contains("http") && !policy.contains("*") && !policy.contains("unsafe"))
        #expect(response.header("x-content-type-options") == "nosniff")
        #expect(response.header("referrer-policy") == "no-referrer")
    }

    @Test func theIconIsWebFaviconSVG() throws {
        let response = APIHarness().handle(.get("/favicon.ico"))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "image/svg+xml")
        #expect(response.body == (try TestPaths.read(Self.iconFile)))
        #expect(response.header("content-security-policy") == nil)
    }

    @Test(arguments: ["/", "/favicon.ico"])
    func noAPIKeyIsNeededButTheAllowListApplies(path: String) throws {
        let keyed = APIHarness { $0.apiKey = "sk-secret" }
        #expect(keyed.handle(.get(path)).status == 200)
        #expect(keyed.handle(.get("/v1/models")).status == 401, "the page's API calls still need the key")
        let guarded = APIHarness { $0.allowList = allowList("203.0.113.0/24") }
        #expect(guarded.handle(.get(path)).status == 200)
        let denied = guarded.handle(.get(path, callerIP: "198.51.100.9"))
        #expect(denied.status == 403)
        #expect(try denied.json()["error"]?["type"]?.string == "permission_error")
        #expect(guarded.handle(.get(path, callerIP: nil)).status == 403)
    }

    @Test(arguments: ["POST", "PUT", "DELETE"])
    func onlyGETAndHEAD(method: String) throws {
        let response = APIHarness().handle(HTTPRequest(method: method, path: "/", callerIP: "203.0.113.7"))
        #expect(response.status == 405)
        #expect(response.header("allow") == "GET, HEAD")
        #expect(APIHarness().handle(HTTPRequest(method: "HEAD", path: "/", callerIP: "203.0.113.7")).status == 200)
    }

    @Test func otherPathsStay404() throws {
        for path in ["/index.html", "/playground", "/favicon.svg", "/v1"] {
            #expect(APIHarness().handle(.get(path)).status == 404, "\(path)")
        }
    }

    @Test func theModelsListCarriesEachScriptsGreeting() throws {
        let data = try #require(try APIHarness().handle(.get("/v1/models")).json()["data"]?.array)
        let catalog = ModelCatalog.compiled
        #expect(data.count == catalog.models.count)
        for (entry, model) in zip(data, catalog.models) {
            #expect(entry["id"]?.string == model.id)
            #expect(entry["eliza"]?["script"]?.string == model.script.name)
            #expect(entry["eliza"]?["greeting"]?.string == model.script.greetingText)
        }
        #expect(data.first?["eliza"]?["greeting"]?.string == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM")
    }

    /// Through API Gateway (HTTP API, `$default` route): the same page, as a text proxy response.
    @Test func theHTTPAPIEventGetsThePage() throws {
        let handled = try LambdaEventTests.Handled(fixture: "http-api-v2-playground.json")
        let response = try LambdaEventTests.ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["content-security-policy"] == WebAsset.playground.contentSecurityPolicy)
        #expect(Array(response.body.utf8) == (try TestPaths.read(Self.pageFile)))
        #expect(handled.log.first?["status"]?.number == 200)
        #expect(handled.log.first?["path"]?.string == "/")
    }
}
