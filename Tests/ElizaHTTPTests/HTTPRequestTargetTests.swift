import ElizaHTTP
import Testing

/// The decoding rules every transport shares (the parser's side is in `HTTPRequestParserTests`).
@Suite struct HTTPRequestTargetTests {
    static func encoded(_ path: String, _ query: String = "") throws(HTTPRequestTarget.Invalid) -> HTTPRequestTarget {
        try HTTPRequestTarget(encodedPath: Array(path.utf8), query: Array(query.utf8))
    }

    @Test(arguments: [
        ("/a%zz", "invalid percent escape in the request path"),
        ("/a%", "invalid percent escape in the request path"),
        ("/%FF", "the request path does not decode to UTF-8"),
        ("/a%00", "control character in the request path"),
        ("/a%1F", "control character in the request path"),
    ])
    func badPathsAreNamed(path: String, message: String) {
        #expect(throws: HTTPRequestTarget.Invalid(message: message)) { try Self.encoded(path) }
    }

    @Test(arguments: [
        ("a=%", "invalid percent escape in the request query"),
        ("a=%C3", "the request query does not decode to UTF-8"),
        ("%0D=1", "control character in the request query"),
    ])
    func badQueriesAreNamed(query: String, message: String) {
        #expect(throws: HTTPRequestTarget.Invalid(message: message)) { try Self.encoded("/", query) }
    }

    @Test func segmentsAreSplitBeforeTheyAreDecoded() throws {
        let target = try Self.encoded("/v1/responses/resp%2F..%2Fx/")
        #expect(target.pathSegments == ["v1", "responses", "resp/../x", ""])
        #expect(target.path == "/v1/responses/resp/../x/")
        #expect(try Self.encoded("/").pathSegments == [""])
        #expect(try Self.encoded("*").pathSegments == ["*"])
        #expect(HTTPRequestTarget(decodedPath: "/a/b").pathSegments == ["a", "b"])
    }

    @Test func queryValueIsTheFirstOfARepeatedName() throws {
        let target = try Self.encoded("/", "stream=true&stream=false&Stream=x")
        #expect(target.queryValue("stream") == "true")
        #expect(target.queryValue("Stream") == "x")
        #expect(target.queryValue("starting_after") == nil)
        let request = HTTPRequest(method: "GET", target: target)
        #expect(request.queryValue("stream") == "true")
    }

    @Test func decodedPairsAreFormEncodedIntoTheQueryAndBack() throws {
        let items = [
            HTTPQueryItem("a b", "c&d=e+f/\u{E9}"), HTTPQueryItem("key", "sk-1~2_3.4"), HTTPQueryItem("empty", ""),
        ]
        let target = try HTTPRequestTarget(decodedPath: "/x", query: []).replacingQuery(with: items)
        #expect(target.query == "a+b=c%26d%3De%2Bf%2F%C3%A9&key=sk-1~2_3.4&empty=")
        #expect(target.queryItems == items)
        #expect(try Self.encoded("/x", target.query).queryItems == items)
        #expect(throws: HTTPRequestTarget.Invalid(message: "control character in the request query")) {
            try target.replacingQuery(with: [HTTPQueryItem("a", "\u{0}")])
        }
    }

    @Test func anAlreadyDecodedPathIsNotDecodedAgain() throws {
        let target = try HTTPRequestTarget(decodedPath: "/v1/models/100%25 sure@x", query: Array("a=%41".utf8))
        #expect(target.path == "/v1/models/100%25 sure@x")
        #expect(target.pathSegments == ["v1", "models", "100%25 sure@x"])
        #expect(target.queryItems == [HTTPQueryItem("a", "A")])
        #expect(throws: HTTPRequestTarget.Invalid(message: "control character in the request path")) {
            try HTTPRequestTarget(decodedPath: "/a\u{0}b", query: [])
        }
    }
}
