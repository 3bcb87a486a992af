import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Authors' scripts through the API (issue 22): a loaded script is a model on every route; an inline
/// `eliza.script` answers its request on every route, within the request's budget; the script text
/// of a model (`GET /v1/models/{id}/script`) and the check route (`POST /v1/scripts/check`).
@Suite("Script routes")
struct ScriptRoutesTests {
    /// A small script of an author's, shared with the Python tests: CAT is its keyword.
    static let cats = String(
        decoding: (try? TestPaths.read(TestPaths.repositoryRoot + "/Tests/Fixtures/catbot.eliza")) ?? [], as: UTF8.self)

    /// The same script with the CAT rule, opened on line 2, left unclosed.
    static let broken = cats.replacing("(WHY CATS)))", with: "(WHY CATS))")

    static func inline(_ script: String) -> String { #""eliza":{"script":\#(JSONText.quoted(script))}"# }

    /// A server with `cats` loaded from a file, as `--script` loads it.
    static func loadedHarness(_ configure: (inout Configuration) -> Void = { _ in }) throws -> APIHarness {
        let folder = FileManager.default.temporaryDirectory.appending(
            path: "eliza-scripts-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(cats.utf8).write(to: folder.appending(path: "catbot.eliza"))
        let loaded = try ScriptFiles.load([folder.path], limits: RequestLimits().compileLimits)
        return APIHarness(catalog: try ModelCatalog.compiled.adding(loaded), configure)
    }

    /// Every dialect's body for one user message, and where its reply is.
    static let dialects:
        [(path: String, body: @Sendable (String, String) -> String, reply: @Sendable (DecodedJSON) -> String?)] = [
            (
                "/v1/chat/completions", { model, extra in userBody("I have a cat", model: model, extra) },
                { $0["choices"]?[0]?["message"]?["content"]?.string }
            ),
            (
                "/v1/responses", { model, extra in #"{"model":"\#(model)","input":"I have a cat",\#(extra)}"# },
                { $0["output"]?[0]?["content"]?[0]?["text"]?.string }
            ),
            (
                "/v1/completions", { model, extra in #"{"model":"\#(model)","prompt":"I have a cat",\#(extra)}"# },
                { $0["choices"]?[0]?["text"]?.string }
            ),
            (
                "/v1/messages",
                { model, extra in
                    #"{"model":"\#(model)","max_tokens":50,"messages":[{"role":"user","content":"I have a cat"}],\#(extra)}"#
                },
                { $0["content"]?[0]?["text"]?.string }
            ),
        ]

    @Test("a loaded script is a model of /v1/models, with its greeting, answered on every route")
    func loadedModelOnEveryRoute() throws {
        let harness = try Self.loadedHarness()
        let data = try #require(try harness.handle(.get("/v1/models")).json()["data"]?.array)
        let entry = try #require(data.last)
        #expect(data.count == ModelCatalog.compiled.models.count + 1)
        #expect(entry["id"]?.string == "catbot")
        #expect(entry["eliza"]?["greeting"]?.string == "HELLO I AM CATBOT")
        #expect(entry["eliza"]?["loaded"]?.bool == true)
        #expect(data.first?["eliza"]?["loaded"]?.bool == false)
        for dialect in Self.dialects {
            let response = harness.post(dialect.path, dialect.body("catbot", #""stream":false"#))
            #expect(response.status == 200, "\(dialect.path): \(response.text)")
            #expect(dialect.reply(try response.json()) == "TELL ME MORE ABOUT CATS", "\(dialect.path)")
            // The built-in models are unchanged beside it.
            let doctor = harness.post(dialect.path, dialect.body("eliza", #""stream":false"#))
            #expect(dialect.reply(try doctor.json()) != "TELL ME MORE ABOUT CATS", "\(dialect.path)")
        }
    }

    @Test("an inline script answers its request on every route, whatever the model")
    func inlineOnEveryRoute() throws {
        for dialect in Self.dialects {
            let response = APIHarness().post(dialect.path, dialect.body("gpt-4o", Self.inline(Self.cats)))
            #expect(response.status == 200, "\(dialect.path): \(response.text)")
            #expect(dialect.reply(try response.json()) == "TELL ME MORE ABOUT CATS", "\(dialect.path)")
        }
        // Streamed too.
        let stream = APIHarness().chat(userBody("I have a cat", #""stream":true,"# + Self.inline(Self.cats)))
        #expect(stream.status == 200)
        #expect(stream.text.contains("CATS"))
    }

    @Test("the trace of an inline script names its own keyword and decomposition")
    func inlineTrace() throws {
        let response = APIHarness().chat(
            userBody("I have a cat", #""eliza":{"trace":true,"script":\#(JSONText.quoted(Self.cats))}"#))
        #expect(response.status == 200, "\(response.text)")
        let trace = try response.json()["eliza"]?["trace"]
        #expect(trace != nil)
        #expect(response.text.contains(#""CAT""#))
        #expect(response.text.contains("TELL ME MORE ABOUT CATS"))
    }

    @Test("an inline script with errors is a 400 listing each diagnostic with its line and column")
    func inlineErrors() throws {
        let message = try expectOpenAIError(
            APIHarness().chat(userBody("Hello", Self.inline(Self.broken))), status: 400, type: "invalid_request_error",
            "eliza.script has 1 error:", "script:2:1: error: expected ')' to close the list opened at 2:1")
        #expect(!message.contains("CATBOT"))
        let anthropic = APIHarness().post(
            "/v1/messages",
            #"{"max_tokens":5,"messages":[{"role":"user","content":"Hi"}],\#(Self.inline("(HI) (NONE"))}"#)
        _ = try expectAnthropicError(anthropic, status: 400, type: "invalid_request_error", "script:1:6: error:")
        // Several errors: all listed, in order.
        let two = "(HI)\n(NONE ((0) (2)))\n(K ((0) (OK)))\n(K ((0) (AGAIN)))"
        _ = try expectOpenAIError(
            APIHarness().chat(userBody("Hello", Self.inline(two))), status: 400, type: "invalid_request_error",
            "script:1:1: error: the script has no MEMORY rule", "script:2:13: error: reassembly refers to component 2",
            "script:4:1: error: duplicate keyword K")
    }

    @Test("an inline script over the size or the compile-work limit is a 422 naming the limit")
    func inlineLimits() throws {
        let big = APIHarness { $0.limits.scriptBytes = 256 }.chat(userBody("Hi", Self.inline(Self.cats)))
        let bigMessage = try expectOpenAIError(
            big, status: 422, type: "invalid_request_error", "eliza.script is \(Self.cats.utf8.count) bytes",
            "the limit of 256 bytes (ELIZA_MAX_SCRIPT_BYTES)")
        #expect(try big.json()["error"]?["code"]?.string == "script_too_large")
        #expect(!bigMessage.isEmpty)
        let slow = APIHarness { $0.limits.compileWork = 100 }.chat(userBody("Hi", Self.inline(Self.cats)))
        _ = try expectOpenAIError(
            slow, status: 422, type: "invalid_request_error",
            "compiling eliza.script takes more than the limit of 100 units of compile work (ELIZA_MAX_COMPILE_WORK)")
        #expect(try slow.json()["error"]?["code"]?.string == "compile_budget_exhausted")
        #expect(try slow.json()["error"]?["param"]?.string == "eliza.script")
        // The default limits: the largest reference script, DOCTOR in French, compiles in one request.
        let french = try #require(CompiledScripts.sources["doctor-fr"])
        #expect(APIHarness().chat(userBody("désolé", Self.inline(french))).status == 200)
    }

    @Test("the access log line of a request with a script says its size and compile work")
    func accessLog() throws {
        let harness = APIHarness()
        _ = harness.respond(.chat(userBody("I have a cat", Self.inline(Self.cats))))
        _ = harness.respond(.chat(userBody("I have a cat")))
        let lines = try harness.log.lines.map { try DecodedJSON.parse($0) }
        #expect(lines.count == 2)
        #expect(lines.first?["scriptBytes"]?.number == Double(Self.cats.utf8.count))
        #expect((lines.first?["compileWork"]?.number ?? 0) > 40)
        #expect(lines.last?["scriptBytes"] == nil && lines.last?["compileWork"] == nil)
    }

    @Test("with ELIZA_INLINE_SCRIPTS=off an inline script, and the check route, are a 400 saying so")
    func inlineOff() throws {
        let harness = APIHarness { $0.inlineScripts = false }
        _ = try expectOpenAIError(
            harness.chat(userBody("Hi", Self.inline(Self.cats))), status: 400, type: "invalid_request_error",
            "ELIZA_INLINE_SCRIPTS=off")
        _ = try expectOpenAIError(
            harness.post("/v1/scripts/check", #"{"script":"(HI)"}"#), status: 400, type: "invalid_request_error",
            "ELIZA_INLINE_SCRIPTS=off")
        // Requests without a script are served as ever.
        #expect(harness.chat(userBody("Hi")).status == 200)
    }

    @Test("an eliza.script that is not a string is a 400 naming it")
    func inlineNotAString() throws {
        _ = try expectOpenAIError(
            APIHarness().chat(userBody("Hi", #""eliza":{"script":42}"#)), status: 400, type: "invalid_request_error",
            "eliza.script must be a string")
    }

    @Test("GET /v1/models/{id}/script serves the text of built-in and loaded scripts")
    func modelScript() throws {
        let harness = try Self.loadedHarness()
        for (id, name) in [("eliza", "doctor"), ("eliza-doctor", "doctor"), ("eliza-doctor-fr", "doctor-fr")] {
            let response = harness.handle(.get("/v1/models/\(id)/script"))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/plain; charset=utf-8")
            #expect(response.header("content-disposition") == "inline; filename=\"\(name).eliza\"")
            #expect(
                response.body == (try TestPaths.read(TestPaths.repositoryRoot + "/Scripts/\(name).eliza")), "\(id)")
        }
        let loaded = harness.handle(.get("/v1/models/catbot/script"))
        #expect(loaded.status == 200)
        #expect(loaded.text == Self.cats)
        #expect(harness.handle(.get("/models/catbot/script")).text == Self.cats)
        #expect(
            harness.handle(HTTPRequest(method: "HEAD", path: "/v1/models/catbot/script", callerIP: "203.0.113.7"))
                .status == 200)
        _ = try expectOpenAIError(
            harness.handle(.get("/v1/models/gpt-4o/script")), status: 404, type: "not_found_error",
            "no model 'gpt-4o'; the models are eliza, eliza-doctor")
        #expect(harness.post("/v1/models/eliza/script", "{}").status == 405)
        // Behind the API key like the models list.
        let keyed = APIHarness { $0.apiKey = "k" }
        #expect(keyed.handle(.get("/v1/models/eliza/script")).status == 401)
        #expect(
            keyed.handle(.get("/v1/models/eliza/script", headers: [HTTPHeader("authorization", "Bearer k")])).status
                == 200)
    }

    @Test("POST /v1/scripts/check answers every diagnostic with its line and column")
    func check() throws {
        let clean = try APIHarness().post("/v1/scripts/check", #"{"script":\#(JSONText.quoted(Self.cats))}"#).json()
        #expect(clean["object"]?.string == "script.check")
        #expect(clean["ok"]?.bool == true)
        #expect(clean["greeting"]?.string == "HELLO I AM CATBOT")
        #expect(clean["keywords"]?.number == 1)
        #expect(clean["diagnostics"]?.array?.isEmpty == true)
        #expect((clean["work"]?.number ?? 0) > 0)

        let response = APIHarness().post("/v1/scripts/check", #"{"script":\#(JSONText.quoted(Self.broken))}"#)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["ok"]?.bool == false)
        #expect(json["greeting"] == nil)
        let diagnostic = try #require(json["diagnostics"]?[0] as DecodedJSON?)
        #expect(diagnostic["severity"]?.string == "error")
        #expect(diagnostic["line"]?.number == 2)
        #expect(diagnostic["column"]?.number == 1)
        #expect(
            diagnostic["message"]?.string == "expected ')' to close the list opened at 2:1; the file ends inside it")
        #expect(diagnostic["text"]?.string?.hasPrefix("script:2:1: error: ") == true)

        // Warnings come back too, on a script that loads.
        let warned = try APIHarness().post(
            "/v1/scripts/check",
            #"{"script":"(HI) (NONE ((0) (WHAT))) (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D)) (K ((0 (/NOTAG) 0) (OK)))"}"#
        ).json()
        #expect(warned["ok"]?.bool == true)
        #expect(warned["diagnostics"]?[0]?["severity"]?.string == "warning")

        // Bounded like any request, and a bad body is a 400.
        _ = try expectOpenAIError(
            APIHarness { $0.limits.compileWork = 100 }.post(
                "/v1/scripts/check", #"{"script":\#(JSONText.quoted(Self.cats))}"#), status: 422,
            type: "invalid_request_error", "ELIZA_MAX_COMPILE_WORK")
        _ = try expectOpenAIError(
            APIHarness().post("/v1/scripts/check", #"{"text":"(HI)"}"#), status: 400, type: "invalid_request_error",
            "script is required")
        #expect(APIHarness().handle(.get("/v1/scripts/check")).status == 405)
    }
}
