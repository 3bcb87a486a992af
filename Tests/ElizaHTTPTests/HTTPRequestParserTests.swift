import ElizaHTTP
import Testing

@Suite struct HTTPRequestParserTests {
    /// A well-formed request and what it parses to.
    struct Good: Sendable, CustomTestStringConvertible {
        var name: String
        var raw: [UInt8]
        var method = "GET"
        var path = "/"
        /// The decoded segments; nil: `path` split at every `/`.
        var segments: [String]?
        var query = ""
        var queryItems: [HTTPQueryItem] = []
        var headers: [HTTPHeader]
        var body = ""
        var keepAlive = true
        var testDescription: String { name }

        init(
            _ name: String, _ raw: String, method: String = "GET", path: String = "/", segments: [String]? = nil,
            query: String = "", queryItems: [HTTPQueryItem] = [], headers: [HTTPHeader] = [HTTPHeader("host", "x")],
            body: String = "", keepAlive: Bool = true
        ) {
            self.name = name
            self.raw = Array(raw.utf8)
            self.method = method
            self.path = path
            self.segments = segments
            self.query = query
            self.queryItems = queryItems
            self.headers = headers
            self.body = body
            self.keepAlive = keepAlive
        }
    }

    static let good: [Good] = [
        Good("GET 1.1", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", headers: [HTTPHeader("host", "x")]),
        Good(
            "POST with body and query",
            "POST /v1/chat/completions?api-version=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
            method: "POST", path: "/v1/chat/completions", query: "api-version=1",
            queryItems: [HTTPQueryItem("api-version", "1")],
            headers: [
                HTTPHeader("host", "x"), HTTPHeader("content-type", "application/json"),
                HTTPHeader("content-length", "7"),
            ],
            body: "{\"a\":1}"),
        Good("HTTP/1.0 closes by default", "GET /a HTTP/1.0\r\n\r\n", path: "/a", headers: [], keepAlive: false),
        Good(
            "HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            headers: [HTTPHeader("connection", "Keep-Alive")]),
        Good(
            "HTTP/1.1 connection close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, CLOSE\r\n\r\n",
            headers: [HTTPHeader("host", "x"), HTTPHeader("connection", "upgrade, CLOSE")], keepAlive: false),
        Good(
            "blank lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
            headers: [HTTPHeader("host", "x")]),
        Good(
            "optional whitespace trimmed", "GET / HTTP/1.1\r\nHost:x\r\nX-A: \t v  w \t\r\nX-Empty:\r\n\r\n",
            headers: [HTTPHeader("host", "x"), HTTPHeader("x-a", "v  w"), HTTPHeader("x-empty", "")]),
        Good(
            "repeated identical content-length",
            "PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc",
            method: "PUT", path: "/p",
            headers: [HTTPHeader("host", "x"), HTTPHeader("content-length", "3"), HTTPHeader("content-length", "003")],
            body: "abc"),
        Good(
            "absolute-form target", "GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
            path: "/a/b", query: "q=1", queryItems: [HTTPQueryItem("q", "1")],
            headers: [HTTPHeader("host", "example.com")]),
        Good(
            "absolute-form target without path", "GET HTTPS://example.com?q HTTP/1.1\r\nHost: example.com\r\n\r\n",
            query: "q", queryItems: [HTTPQueryItem("q", "")], headers: [HTTPHeader("host", "example.com")]),
        Good(
            "model id with @ , = : encoded",
            "GET /v1/models/gpt-4o%402024%2Cx%3Dy%3Az HTTP/1.1\r\nHost: x\r\n\r\n",
            path: "/v1/models/gpt-4o@2024,x=y:z"),
        Good(
            "model id with @ , = : as they are", "GET /v1/models/gpt-4o@2024,x=y:z HTTP/1.1\r\nHost: x\r\n\r\n",
            path: "/v1/models/gpt-4o@2024,x=y:z"),
        Good(
            "an encoded slash stays in its segment", "GET /v1/responses/a%2Fb%2f HTTP/1.1\r\nHost: x\r\n\r\n",
            path: "/v1/responses/a/b/", segments: ["v1", "responses", "a/b/"]),
        Good(
            "plus is a space in the query only",
            "GET /a+b?c+d=e+f%2Bg&h=%20 HTTP/1.1\r\nHost: x\r\n\r\n", path: "/a+b", query: "c+d=e+f%2Bg&h=%20",
            queryItems: [HTTPQueryItem("c d", "e f+g"), HTTPQueryItem("h", " ")]),
        Good(
            "query pairs: order, repeats, empty pieces, no value, = in a value",
            "GET /v1/responses/resp_1?stream=true&&starting_after=3&stream=false&flag&k==v&=x HTTP/1.1\r\nHost: x\r\n\r\n",
            path: "/v1/responses/resp_1", query: "stream=true&&starting_after=3&stream=false&flag&k==v&=x",
            queryItems: [
                HTTPQueryItem("stream", "true"), HTTPQueryItem("starting_after", "3"),
                HTTPQueryItem("stream", "false"), HTTPQueryItem("flag", ""), HTTPQueryItem("k", "=v"),
                HTTPQueryItem("", "x"),
            ]),
        Good(
            "UTF-8 escapes in path and query", "GET /caf%C3%A9?q=%E2%9C%93 HTTP/1.1\r\nHost: x\r\n\r\n",
            path: "/caf\u{E9}", query: "q=%E2%9C%93", queryItems: [HTTPQueryItem("q", "\u{2713}")]),
        Good("empty query", "GET /a? HTTP/1.1\r\nHost: x\r\n\r\n", path: "/a"),
        Good(
            "a question mark inside the query", "GET /a?b=?c HTTP/1.1\r\nHost: x\r\n\r\n", path: "/a",
            query: "b=?c", queryItems: [HTTPQueryItem("b", "?c")]),
        Good(
            "OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", method: "OPTIONS", path: "*",
            headers: [HTTPHeader("host", "x")]),
        Good("HTTP/1.2 is served as 1.1", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", headers: [HTTPHeader("host", "x")]),
        Good(
            "UTF-8 in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-Name: Jos\u{E9}\r\n\r\n",
            headers: [HTTPHeader("host", "x"), HTTPHeader("x-name", "Jos\u{E9}")]),
        Good(
            "POST without a body", "POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", method: "POST",
            path: "/v1/models", headers: [HTTPHeader("host", "x"), HTTPHeader("content-length", "0")]),
        Good(
            "expect 100-continue with its body already sent",
            "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", method: "POST",
            headers: [
                HTTPHeader("host", "x"), HTTPHeader("expect", "100-continue"), HTTPHeader("content-length", "2"),
            ],
            body: "hi"),
    ]

    private func expectRequest(_ outcome: HTTPRequestParser.ParseResult, _ good: Good, consumed expectedConsumed: Int) {
        guard case .request(let request, let consumed, let keepAlive) = outcome else {
            Issue.record("expected a request, got \(outcome)")
            return
        }
        #expect(request.method == good.method)
        #expect(request.path == good.path)
        #expect(request.target.pathSegments == good.segments ?? HTTPRequestTarget(decodedPath: good.path).pathSegments)
        #expect(request.target.query == good.query)
        #expect(request.target.queryItems == good.queryItems)
        #expect(request.headers == good.headers)
        #expect(request.body == Array(good.body.utf8))
        #expect(request.callerIP == nil)
        #expect(consumed == expectedConsumed)
        #expect(keepAlive == good.keepAlive)
    }

    @Test(arguments: good)
    func parsesWholeRequest(_ good: Good) {
        var parser = HTTPRequestParser()
        expectRequest(parser.parse(good.raw[...]), good, consumed: good.raw.count)
    }

    /// The same parser sees the bytes arrive one at a time, as on a slow connection.
    @Test(arguments: good)
    func parsesRequestArrivingByteByByte(_ good: Good) {
        var parser = HTTPRequestParser()
        for end in 1..<good.raw.count {
            let outcome = parser.parse(good.raw[..<end])
            #expect(outcome == .needMoreBytes || outcome == .continueRequested, "after \(end) bytes: \(outcome)")
        }
        expectRequest(parser.parse(good.raw[...]), good, consumed: good.raw.count)
    }

    /// A fresh parser for every split point: the first part alone is incomplete, both parts complete.
    @Test(arguments: good)
    func parsesRequestSplitAtEveryBoundary(_ good: Good) {
        for split in 0..<good.raw.count {
            var parser = HTTPRequestParser()
            if split > 0 {
                let first = parser.parse(good.raw[..<split])
                #expect(first == .needMoreBytes || first == .continueRequested, "split at \(split): \(first)")
            }
            expectRequest(parser.parse(good.raw[...]), good, consumed: good.raw.count)
        }
    }

    @Test func parsesPipelinedRequestsInOneBuffer() {
        let requests = [
            "GET /one HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]
        let buffer = Array(requests.joined().utf8) + Array("GET /four".utf8)
        var parser = HTTPRequestParser()
        var start = 0
        var seen: [(String, String, Bool)] = []
        while case .request(let request, let consumed, let keepAlive) = parser.parse(buffer[start...]) {
            seen.append((request.path, String(decoding: request.body, as: UTF8.self), keepAlive))
            start += consumed
        }
        #expect(seen.map(\.0) == ["/one", "/two", "/three"])
        #expect(seen.map(\.1) == ["", "hello", ""])
        #expect(seen.map(\.2) == [true, true, false])
        #expect(start == buffer.count - "GET /four".utf8.count)
        #expect(parser.parse(buffer[start...]) == .needMoreBytes)
    }

    @Test func answersExpectContinueOnceBeforeTheBody() {
        let head = Array(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n".utf8)
        var parser = HTTPRequestParser()
        #expect(parser.parse(head[...]) == .continueRequested)
        #expect(parser.parse(head[...]) == .needMoreBytes)
        let whole = head + Array("ping".utf8)
        guard case .request(let request, let consumed, _) = parser.parse(whole[...]) else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Array("ping".utf8))
        #expect(consumed == whole.count)
    }

    /// A malformed request and the status it must be answered with.
    struct Bad: Sendable, CustomTestStringConvertible {
        var name: String
        var raw: [UInt8]
        var status: Int
        var limits = HTTPServerLimits()
        var testDescription: String { "\(name) → \(status)" }

        init(_ name: String, _ raw: String, _ status: Int, limits: HTTPServerLimits = HTTPServerLimits()) {
            self.init(name, Array(raw.utf8), status, limits: limits)
        }

        init(_ name: String, _ raw: [UInt8], _ status: Int, limits: HTTPServerLimits = HTTPServerLimits()) {
            self.name = name
            self.raw = raw
            self.status = status
            self.limits = limits
        }
    }

    static let bad: [Bad] = [
        Bad("bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n", 400),
        Bad("bare CR in a field", "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", 400),
        Bad("bare LF in a field", "GET / HTTP/1.1\r\nHost: x\nY: z\r\n\r\n", 400),
        Bad("obsolete line folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
        Bad("space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        Bad("field without a colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
        Bad("invalid field name", "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", 400),
        Bad("empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n", 400),
        Bad("NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", 400),
        Bad("DEL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{7F}b\r\n\r\n", 400),
        Bad("invalid method", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("space before the method", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("no version", "GET /\r\nHost: x\r\n\r\n", 400),
        Bad("lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("trailing space after the version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
        Bad("relative target", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("non-ASCII target", "GET /\u{E9} HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        Bad("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505),
        Bad("letters in content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        Bad("negative content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        Bad("signed content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400),
        Bad("empty content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400),
        Bad("content-length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400),
        Bad(
            "overflowing content-length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        Bad(
            "conflicting content-length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        Bad(
            "chunked body", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            411),
        Bad(
            "transfer-encoding and content-length",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
        Bad("no host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
        Bad("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        Bad("body over the limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413),
        Bad(
            "request line over the limit", "GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            limits: HTTPServerLimits(maxRequestLineBytes: 32)),
        Bad(
            "header section over the limit",
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "a", count: 60) + "\r\n\r\n",
            431, limits: HTTPServerLimits(maxHeaderBytes: 64)),
        Bad("invalid percent escape in the path", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("escape cut short", "GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("lone percent", "GET /a%?b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("invalid percent escape in the query", "GET /a?b=%G1 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("encoded NUL in the path", "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("encoded NUL in the query", "GET /a?b=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("encoded line feed in the path", "GET /a%0Ab HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("encoded DEL in the query", "GET /a?%7F HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("decodes to bytes that are not UTF-8", "GET /%C3%28 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("overlong UTF-8 for a slash", "GET /%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("encoded surrogate", "GET /x?q=%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("truncated UTF-8 in the query", "GET /x?q=%E2%9C HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        Bad("TLS handshake", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03], 400),
    ]

    @Test(arguments: bad)
    func rejectsMalformedRequest(_ bad: Bad) {
        var parser = HTTPRequestParser(limits: bad.limits)
        guard case .error(let status, let message) = parser.parse(bad.raw[...]) else {
            Issue.record("expected an error")
            return
        }
        #expect(status == bad.status)
        #expect(!message.isEmpty)
    }

    /// Errors come from the bytes that show them, not from a later limit or timeout: no request is
    /// ever produced on the way, and the error arrives no later than with the whole input.
    @Test(arguments: bad)
    func rejectsMalformedRequestArrivingByteByByte(_ bad: Bad) {
        var parser = HTTPRequestParser(limits: bad.limits)
        for end in 1...bad.raw.count {
            switch parser.parse(bad.raw[..<end]) {
            case .needMoreBytes, .continueRequested:
                continue
            case .request(let request, _, _):
                Issue.record("accepted \(request)")
                return
            case .error(let status, _):
                #expect(status == bad.status)
                return
            }
        }
        Issue.record("no error after all \(bad.raw.count) bytes")
    }

    @Test func refusesOversizedBodyFromContentLengthAlone() {
        var parser = HTTPRequestParser(limits: HTTPServerLimits(maxBodyBytes: 10))
        let head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2097152\r\n\r\n"
        guard case .error(413, _) = parser.parse(Array(head.utf8)[...]) else {
            Issue.record("expected 413 before any body byte")
            return
        }
    }

    @Test func rejectsGarbageWithoutWaitingForALineEnd() {
        var parser = HTTPRequestParser()
        #expect(parser.parse(Array("\u{1}\u{2}".utf8)[...]) == .error(status: 400, message: "malformed request line"))
        var parser2 = HTTPRequestParser()
        guard case .error(400, _) = parser2.parse(Array("GET /a b".utf8)[...]) else {
            Issue.record("expected 400 once the version cannot be HTTP/x.y")
            return
        }
    }

    @Test func refusesLongRequestLineBeforeItEnds() {
        var parser = HTTPRequestParser(limits: HTTPServerLimits(maxRequestLineBytes: 16))
        guard case .error(414, _) = parser.parse(Array("GET /\(String(repeating: "a", count: 20))".utf8)[...]) else {
            Issue.record("expected 414")
            return
        }
    }

    @Test func refusesLargeHeaderSectionBeforeItEnds() {
        var parser = HTTPRequestParser(limits: HTTPServerLimits(maxHeaderBytes: 40))
        let partial = "GET / HTTP/1.1\r\nHost: x\r\nX-A: \(String(repeating: "a", count: 30))"
        guard case .error(431, _) = parser.parse(Array(partial.utf8)[...]) else {
            Issue.record("expected 431")
            return
        }
    }

    @Test func acceptsHeaderSectionExactlyAtTheLimit() {
        let raw = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var atLimit = HTTPRequestParser(limits: HTTPServerLimits(maxHeaderBytes: raw.count))
        guard case .request = atLimit.parse(raw[...]) else {
            Issue.record("expected a request at exactly the limit")
            return
        }
        var belowLimit = HTTPRequestParser(limits: HTTPServerLimits(maxHeaderBytes: raw.count - 1))
        guard case .error(431, _) = belowLimit.parse(raw[...]) else {
            Issue.record("expected 431 one byte over the limit")
            return
        }
    }
}
