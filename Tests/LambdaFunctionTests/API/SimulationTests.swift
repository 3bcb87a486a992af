import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Failure on cue (docs/failures.md): the spec, its three sources, the faults in each dialect's
/// shape, `times`, the switch, the bounds, and the schedules handed to the transport.
@Suite struct SimulationTests {
    /// An API with the local server's journal and attempt counts.
    struct Local {
        let journal = RequestJournal()
        let attempts = AttemptCounter()
        let log = LineCollector()
        let api: ElizaAPI

        init(_ configure: (inout Configuration) -> Void = { _ in }) {
            var configuration = Configuration()
            configure(&configuration)
            api = ElizaAPI(
                configuration: configuration, logger: Logger(minimumLevel: .trace, sink: log.sink),
                journal: journal, attempts: attempts)
        }

        func post(_ path: String, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
            api.respond(to: .chat(body, path: path, headers: headers), context: ElizaAPI.Context(requestId: "r"))
        }

        func chat(_ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
            post("/v1/chat/completions", body, headers: headers)
        }
    }

    static let simulate = "x-eliza-simulate"

    // MARK: - The spec

    @Test func parsesEveryKey() throws {
        let spec = try SimulationSpec.parse(
            "fault=cut,after=3,delay_ms=10,ttft_ms=20,tps=30"
        ).get()
        #expect(spec.fault == .cut)
        #expect(spec.after == 3)
        #expect(spec.delayMilliseconds == 10)
        #expect(spec.firstTokenMilliseconds == 20)
        #expect(spec.wordsPerSecond == 30)
        let counted = try SimulationSpec.parse("times=2, fault=rate_limit,key=a-1,retry_after_ms=100").get()
        #expect(counted.canonical == "fault=rate_limit,times=2,key=a-1,retry_after_ms=100")
    }

    @Test(arguments: [
        ("fault=nope", "fault 'nope' is not valid: it must be one of rate_limit, quota"),
        ("colour=red", "colour is not a simulation key; the keys are fault, times, key, after"),
        ("fault=cut,fault=drop", "fault is given twice"),
        ("times=2", "times needs a fault"),
        ("fault=drop,after=2", "after applies only to fault=cut and fault=stream_error"),
        ("fault=cut,retry_after_ms=5", "retry_after_ms applies only to fault=rate_limit"),
        ("fault=server_error,times=101", "times '101' is not valid: it must be a whole number from 0 to 100"),
        ("tps=0", "tps '0' is not valid"),
        ("delay_ms=-1", "delay_ms '-1' is not valid"),
        ("fault", "'fault' is not a key=value pair"),
        ("", "is empty"),
        ("fault=server_error,key=a b", "key 'a b' is not valid"),
    ])
    func refusesBadSpecs(text: String, expected: String) {
        guard case .failure(let error) = SimulationSpec.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.description.contains(expected), "\(error)")
    }

    @Test func sourcesRankMemberOverHeaderOverSuffix() throws {
        let local = Local()
        let body = userBody(
            "hello", model: "eliza@fault=server_error", #""eliza":{"simulate":{"fault":"overloaded"}}"#)
        #expect(local.chat(body, headers: [HTTPHeader(Self.simulate, "fault=quota")]).status == 503)
        #expect(
            local.chat(
                userBody("hello", model: "eliza@fault=server_error"),
                headers: [HTTPHeader(Self.simulate, "fault=quota")]
            ).status == 429)
        #expect(local.chat(userBody("hello", model: "eliza@fault=server_error")).status == 500)
        // A losing source is still checked: a typo never passes silently.
        try expectOpenAIError(
            local.chat(
                userBody("hello", model: "eliza@fault=oops"), headers: [HTTPHeader(Self.simulate, "fault=quota")]),
            status: 400, type: "invalid_request_error", "the model suffix '@fault=oops': fault 'oops' is not valid")
    }

    @Test func memberErrorsNameTheirPath() throws {
        let local = Local()
        let response = local.chat(
            userBody("hello", model: "eliza", #""eliza":{"simulate":{"fault":"rate_limit","tps":"x"}}"#))
        let message = try expectOpenAIError(response, status: 400, type: "invalid_request_error", "eliza.simulate.tps")
        #expect(message.contains("'x' is not valid"))
        #expect(try response.json()["error"]?["param"]?.string == "eliza.simulate.tps")
        let header = local.chat(userBody("hello"), headers: [HTTPHeader(Self.simulate, "speed=9")])
        try expectOpenAIError(
            header, status: 400, type: "invalid_request_error",
            "the header x-eliza-simulate: speed is not a simulation key")
    }

    @Test func theModelIsEchoedAsSentAndAnsweredByItsScript() throws {
        let local = Local()
        let response = local.chat(userBody("Men are all alike.", model: "eliza@delay_ms=0"))
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["model"]?.string == "eliza@delay_ms=0")
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    // MARK: - Faults in each dialect

    @Test func openAIErrorFaults() throws {
        let local = Local()
        let limited = local.chat(userBody("hi", model: "gpt-x@fault=rate_limit,retry_after_ms=1500"))
        try expectOpenAIError(limited, status: 429, type: "requests", "Rate limit reached for gpt-x@")
        #expect(try limited.json()["error"]?["code"]?.string == "rate_limit_exceeded")
        #expect(limited.header("retry-after") == "2")
        #expect(limited.header("retry-after-ms") == "1500")
        for name in ["limit-requests", "limit-tokens", "remaining-requests", "remaining-tokens", "reset-tokens"] {
            #expect(limited.header("x-ratelimit-" + name) != nil, "x-ratelimit-\(name)")
        }
        #expect(limited.header("x-ratelimit-reset-requests") == "1.5s")
        #expect(local.chat(userBody("hi", model: "eliza@fault=rate_limit")).header("retry-after-ms") == "1000")

        let quota = local.chat(userBody("hi", model: "eliza@fault=quota"))
        try expectOpenAIError(quota, status: 429, type: "insufficient_quota", "exceeded your current quota")
        #expect(quota.header("x-should-retry") == "false")
        #expect(quota.header("retry-after") == nil)

        let broken = local.chat(userBody("hi", model: "eliza@fault=server_error"))
        try expectOpenAIError(broken, status: 500, type: "server_error", "The server had an error")
        #expect(try broken.json()["error"]?["code"]?.isNull == true)

        let busy = local.post("/v1/responses", #"{"model":"eliza@fault=overloaded","input":"hi"}"#)
        try expectOpenAIError(busy, status: 503, type: "service_unavailable_error", "overloaded")
        #expect(try busy.json()["error"]?["code"]?.string == "server_is_overloaded")
        let legacy = local.post("/v1/completions", #"{"model":"eliza@fault=server_error","prompt":"hi"}"#)
        #expect(legacy.status == 500)
    }

    /// Anthropic's error object, with the `request_id` Anthropic adds.
    func expectAnthropicFault(_ response: HTTPResponse, status: Int, type: String) throws {
        #expect(response.status == status, "\(response.text)")
        let json = try response.json()
        #expect(json["type"]?.string == "error")
        #expect(json["error"]?["type"]?.string == type)
        #expect(json["request_id"]?.string == response.header("request-id"))
        #expect(json["error"]?["message"]?.string?.contains("simulated by eliza-lambda") == true)
    }

    @Test func anthropicErrorFaults() throws {
        let local = Local()
        func message(_ spec: String) -> HTTPResponse {
            local.post(
                "/v1/messages", #"{"model":"claude-x","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#,
                headers: [HTTPHeader(Self.simulate, spec)])
        }
        let limited = message("fault=rate_limit,retry_after_ms=200")
        try expectAnthropicFault(limited, status: 429, type: "rate_limit_error")
        #expect(limited.header("retry-after-ms") == "200")
        #expect(limited.header("retry-after") == "1")
        #expect(limited.header("anthropic-ratelimit-requests-remaining") == "0")
        let reset = try #require(limited.header("anthropic-ratelimit-requests-reset"))
        #expect(reset.count == 20 && reset.hasSuffix("Z") && reset.dropFirst(10).hasPrefix("T"), "\(reset)")
        try expectAnthropicFault(message("fault=overloaded"), status: 529, type: "overloaded_error")
        try expectAnthropicFault(message("fault=server_error"), status: 500, type: "api_error")
        try expectAnthropicFault(message("fault=quota"), status: 400, type: "invalid_request_error")
    }

    @Test func rfc3339MatchesTheCalendar() {
        #expect(FailureText.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(FailureText.rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(FailureText.rfc3339(1_796_610_885) == "2026-12-07T02:34:45Z")
        #expect(FailureText.goDuration(360_000) == "6m0s")
        #expect(FailureText.goDuration(20) == "20ms")
    }

    @Test func dropIsScheduledWithAStandInForBufferingTransports() throws {
        let local = Local()
        let response = local.chat(userBody("hi", model: "eliza@fault=drop,delay_ms=40"))
        #expect(response.schedule == HTTPResponseSchedule(headDelayMilliseconds: 40, ending: .drop))
        try expectOpenAIError(response, status: 502, type: "server_error", "buffers responses")
        let anthropic = local.post(
            "/v1/messages", #"{"model":"eliza@fault=drop","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(anthropic.schedule?.ending == .drop)
        #expect(anthropic.status == 502)
    }

    @Test func malformedBodiesAndFirstEvents() throws {
        let local = Local()
        let plain = local.chat(userBody("hi", model: "eliza@fault=malformed"))
        #expect(plain.status == 200)
        #expect((try? plain.json()) == nil)
        let stream = local.chat(userBody("Men are all alike.", model: "eliza@fault=malformed", #""stream":true"#))
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.first?.hasPrefix("data: this event is not JSON") == true)
        #expect(events.last == "data: [DONE]")
        let messages = local.post(
            "/v1/messages",
            #"{"model":"eliza@fault=malformed","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"hi"}]}"#
        )
        #expect(messages.text.hasPrefix("event: message_start\ndata: this event is not JSON"))
    }

    @Test func cutEndsTheStreamAfterNEvents() throws {
        let local = Local()
        let response = local.chat(userBody("Men are all alike.", model: "eliza@fault=cut,after=2", #""stream":true"#))
        let schedule = try #require(response.schedule)
        #expect(schedule.ending == .cut)
        #expect(schedule.parts.count == 2)
        #expect(response.body == schedule.parts.flatMap(\.bytes))
        #expect(!response.text.contains("[DONE]"))
        // Not streamed: the first half of the body, then the connection closes.
        let plain = local.chat(userBody("Men are all alike.", model: "eliza@fault=cut"))
        #expect(plain.schedule?.ending == .cut)
        #expect(plain.text.hasPrefix(#"{"id":"chatcmpl-"#))
        #expect((try? plain.json()) == nil)
    }

    @Test func streamErrorsInEachDialect() throws {
        let local = Local()
        let chat = local.chat(
            userBody("Men are all alike.", model: "eliza@fault=stream_error,after=1", #""stream":true"#))
        let payloads = try #require(eventPayloads(chat.text))
        #expect(payloads.count == 2)
        let error = try DecodedJSON.parse(payloads[1])
        #expect(error["error"]?["type"]?.string == "server_error")
        #expect(chat.schedule?.ending == .complete)

        let responses = local.post(
            "/v1/responses", #"{"model":"eliza@fault=stream_error,after=3","stream":true,"input":"Men are all alike."}"#
        )
        let named = try #require(namedEvents(responses.text))
        #expect(named.count == 4)
        #expect(named.last?.name == "error")
        #expect(named.last?.data["error"]?["code"]?.string == "server_error")
        #expect(named.last?.data["sequence_number"]?.number == 3)

        let messages = local.post(
            "/v1/messages",
            #"{"model":"eliza@fault=stream_error,after=2","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"hi"}]}"#
        )
        let anthropic = try #require(namedEvents(messages.text))
        #expect(anthropic.map(\.name) == ["message_start", "content_block_start", "error"])
        #expect(anthropic.last?.data["error"]?["type"]?.string == "overloaded_error")

        try expectOpenAIError(
            local.chat(userBody("hi", model: "eliza@fault=stream_error")), status: 400, type: "invalid_request_error",
            "stream: true")
    }

    // MARK: - times

    @Test func timesCountsTheSDKsRetryHeader() throws {
        let local = Local()
        let body = userBody("hi", model: "eliza@fault=server_error,times=2")
        let statuses = (0..<3).map {
            local.chat(body, headers: [HTTPHeader("x-stainless-retry-count", String($0))]).status
        }
        #expect(statuses == [500, 500, 200])
        // The series ended with the success: the next call fails again, from attempt 0.
        #expect(local.chat(body, headers: [HTTPHeader("x-stainless-retry-count", "0")]).status == 500)
        let entries = local.journal.entries
        #expect(entries.map(\.attempt) == [0, 1, 2, 0])
        #expect(entries.map(\.fault) == ["server_error", "server_error", nil, "server_error"])
    }

    @Test func timesCountsLocallyWhenEveryRetrySaysZero() throws {
        let local = Local()
        let body = userBody("hi", model: "eliza@fault=rate_limit,times=2,key=router")
        let zero = [HTTPHeader("x-stainless-retry-count", "0")]
        #expect((0..<4).map { _ in local.chat(body, headers: zero).status } == [429, 429, 200, 429])
        // Another key is another series.
        let other = userBody("hi", model: "eliza@fault=rate_limit,times=2,key=other")
        #expect(local.chat(other).status == 429)
        #expect(local.attempts.count == 2)
        // DELETE /eliza/requests clears the journal and the counts.
        let cleared = local.api.respond(
            to: HTTPRequest(method: "DELETE", path: "/eliza/requests", callerIP: "127.0.0.1"),
            context: ElizaAPI.Context(requestId: "d"))
        #expect(cleared.status == 200)
        #expect(local.journal.entries.isEmpty)
        #expect(local.attempts.count == 0)
    }

    @Test func withoutLocalCountsOnlyTheHeaderCounts() {
        // Lambda: no counter, so a router's retries (all 0) all fail.
        let harness = APIHarness()
        let body = userBody("hi", model: "eliza@fault=server_error,times=1")
        #expect(harness.chat(body, headers: [HTTPHeader("x-stainless-retry-count", "0")]).status == 500)
        #expect(harness.chat(body, headers: [HTTPHeader("x-stainless-retry-count", "0")]).status == 500)
        #expect(harness.chat(body, headers: [HTTPHeader("x-stainless-retry-count", "1")]).status == 200)
    }

    @Test func attemptCounterIsBounded() {
        let counter = AttemptCounter(capacity: 3)
        for series in ["a", "b", "c", "d"] { _ = counter.attempt(series: series, reported: 0, times: 5) }
        #expect(counter.count == 3)
        // "a", touched longest ago, was forgotten: it starts again at 0.
        #expect(counter.attempt(series: "a", reported: 0, times: 5) == 0)
        #expect(counter.attempt(series: "d", reported: 0, times: 5) == 1)
    }

    // MARK: - Time

    @Test func pacingSpacesTheTextEvents() throws {
        let local = Local()
        let response = local.chat(
            userBody("Men are all alike.", model: "eliza@delay_ms=5,ttft_ms=300,tps=20", #""stream":true"#))
        let schedule = try #require(response.schedule)
        #expect(schedule.headDelayMilliseconds == 5)
        // role chunk at once; "IN" after ttft; "WHAT", "WAY" 50 ms apart; finish and [DONE] at once.
        #expect(schedule.parts.map(\.delayMilliseconds) == [0, 300, 50, 50, 0, 0])
        #expect(schedule.totalDelayMilliseconds == 405)
        #expect(response.body == schedule.parts.flatMap(\.bytes))

        let messages = local.post(
            "/v1/messages",
            #"{"model":"eliza@ttft_ms=100,tps=10","stream":true,"max_tokens":9,"messages":[{"role":"user","content":"Men are all alike."}]}"#
        )
        let delays = try #require(messages.schedule).parts.map(\.delayMilliseconds)
        #expect(delays.filter { $0 > 0 } == [100, 100, 100])

        // Not streamed: one wait, as long as the stream would take.
        let plain = local.chat(userBody("Men are all alike.", model: "eliza@ttft_ms=100,tps=10"))
        #expect(plain.schedule == HTTPResponseSchedule(headDelayMilliseconds: 300))
    }

    @Test func delaysAreBounded() throws {
        let local = Local { $0.simulationMaxDelayMilliseconds = 1000 }
        try expectOpenAIError(
            local.chat(userBody("hi", model: "eliza@delay_ms=1001")), status: 400, type: "invalid_request_error",
            "delay_ms is 1001 ms, over this server's bound of 1000 ms (ELIZA_SIMULATION_MAX_DELAY_MS)")
        try expectOpenAIError(
            local.chat(userBody("Men are all alike.", model: "eliza@ttft_ms=900,tps=1", #""stream":true"#)),
            status: 400, type: "invalid_request_error", "add up to 2900 ms")
        #expect(local.chat(userBody("hi", model: "eliza@delay_ms=1000")).status == 200)
    }

    // MARK: - The switch, the journal, the log

    @Test func offRefusesEverySource() throws {
        let local = Local { $0.simulation = false }
        for (body, headers) in [
            (userBody("hi", model: "eliza@fault=drop"), [HTTPHeader]()),
            (userBody("hi"), [HTTPHeader(Self.simulate, "fault=drop")]),
            (userBody("hi", model: "eliza", #""eliza":{"simulate":{"fault":"drop"}}"#), []),
        ] {
            try expectOpenAIError(
                local.chat(body, headers: headers), status: 400, type: "invalid_request_error",
                "simulation is off on this server (ELIZA_SIMULATION=off")
        }
        #expect(local.chat(userBody("hi")).status == 200)
    }

    @Test func configurationReadsTheSwitchAndTheBound() throws {
        let on = try Configuration.load(arguments: [], environment: [:])
        #expect(on.simulation)
        #expect(on.simulationMaxDelayMilliseconds == 600_000)
        let off = try Configuration.load(
            arguments: [], environment: ["ELIZA_SIMULATION": "off", "ELIZA_SIMULATION_MAX_DELAY_MS": "8000"])
        #expect(!off.simulation)
        #expect(off.simulationMaxDelayMilliseconds == 8000)
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: [], environment: ["ELIZA_SIMULATION": "maybe"])
        }
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: [], environment: ["ELIZA_SIMULATION_MAX_DELAY_MS": "-5"])
        }
        #expect(
            try Configuration.load(arguments: [], environment: ["ELIZA_MAX_CONNECTIONS": "20000"]).maxConnections
                == 20000)
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: [], environment: ["ELIZA_MAX_CONNECTIONS": "0"])
        }
        do {
            _ = try Configuration.load(arguments: [], environment: ["ELIZA_SIMULATION": "yes"])
        } catch {
            #expect(error.message.contains("ELIZA_SIMULATION='yes' must be on or off"))
        }
    }

    @Test func journalListsAndIsLocalOnly() throws {
        let local = Local()
        _ = local.chat(userBody("hi", model: "eliza@fault=server_error"))
        _ = local.chat(userBody("hi"), headers: [HTTPHeader("x-stainless-retry-count", "1")])
        let list = local.api.respond(
            to: .get("/eliza/requests"), context: ElizaAPI.Context(requestId: "j"))
        let data = try #require(try list.json()["data"]?.array)
        #expect(data.count == 2)
        #expect(data[0]["route"]?.string == "/v1/chat/completions")
        #expect(data[0]["model"]?.string == "eliza@fault=server_error")
        #expect(data[0]["status"]?.number == 500)
        #expect(data[0]["fault"]?.string == "server_error")
        #expect(data[0]["attempt"]?.number == 0)
        #expect(data[1]["fault"]?.isNull == true)
        #expect(data[1]["attempt"]?.number == 1)
        // Lambda: no journal, no route.
        try expectOpenAIError(APIHarness().handle(.get("/eliza/requests")), status: 404, type: "not_found_error")
    }

    @Test func journalIsBounded() {
        let journal = RequestJournal(capacity: 3)
        for status in 1...5 {
            journal.record(.init(method: "GET", route: "/", status: status, time: 0))
        }
        #expect(journal.entries.map(\.status) == [3, 4, 5])
    }

    @Test func accessLogCarriesFaultAndAttempt() throws {
        let local = Local()
        _ = local.chat(
            userBody("hi", model: "eliza@fault=quota"), headers: [HTTPHeader("x-stainless-retry-count", "2")])
        let line = try #require(local.log.lines.last)
        #expect(line.contains(#""fault":"quota","attempt":2,"simulate":"fault=quota""#), "\(line)")
        _ = local.chat(userBody("hi"))
        #expect(local.log.lines.last?.contains("fault") == false)
    }
}
