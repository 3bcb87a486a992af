import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Request → response through `ElizaAPI.handle(_:)`, checked against the wire contract in
/// ../shared/docs/openai-and-litellm.md.
@Suite struct ChatCompletionTests {
    // MARK: Non-stream reply

    @Test func nonStreamReplyShape() throws {
        let harness = APIHarness()
        let before = Int(Date().timeIntervalSince1970)
        let response = harness.chat(chatBody([("system", "You are a therapist."), ("user", "Men are all alike.")]))
        let after = Int(Date().timeIntervalSince1970)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(
            json.object?.keys.sorted() == [
                "choices", "created", "id", "model", "object", "system_fingerprint", "usage",
            ])
        let id = try #require(json["id"]?.string)
        #expect(id.hasPrefix("chatcmpl-") && id.count > "chatcmpl-".count)
        #expect(json["object"]?.string == "chat.completion")
        #expect(json["model"]?.string == "eliza")
        #expect(json["system_fingerprint"]?.string == ChatCompletion.systemFingerprint)

        // `created` is an integer Unix time in seconds (point 6).
        #expect(rawNumbers(for: "created", in: response.text).allSatisfy(isIntegerToken))
        let created = try #require(json["created"]?.number)
        #expect(Double(before) <= created && created <= Double(after))

        let choices = try #require(json["choices"]?.array)
        #expect(choices.count == 1)
        let choice = try #require(choices.first)
        #expect(choice.object?.keys.sorted() == ["finish_reason", "index", "logprobs", "message"])
        #expect(choice["index"]?.number == 0)
        #expect(choice["message"]?["role"]?.string == "assistant")
        #expect(choice["message"]?["content"]?.string == "IN WHAT WAY")
        #expect(choice["finish_reason"]?.string == "stop")
        #expect(choice["logprobs"]?.isNull == true)

        // Words in every message (4 + 4), words in the reply (3).
        let usage = try #require(json["usage"])
        #expect(usage.object?.keys.sorted() == ["completion_tokens", "prompt_tokens", "total_tokens"])
        #expect(usage["prompt_tokens"]?.number == 8)
        #expect(usage["completion_tokens"]?.number == 3)
        #expect(usage["total_tokens"]?.number == 11)
        for key in ["prompt_tokens", "completion_tokens", "total_tokens", "index"] {
            let tokens = rawNumbers(for: key, in: response.text)
            #expect(!tokens.isEmpty && tokens.allSatisfy(isIntegerToken), "\(key): \(tokens)")
        }
    }

    @Test(arguments: ["eliza", "eliza-doctor", "gpt-4o", "openai/eliza", ""])
    func modelIsEchoedAndUnknownModelsAreAnsweredByDoctor(model: String) throws {
        let response = APIHarness().chat(userBody("Men are all alike.", model: model))
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["model"]?.string == model)
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    @Test func missingModelDefaultsToEliza() throws {
        let response = APIHarness().chat(#"{"messages":[{"role":"user","content":"Men are all alike."}]}"#)
        let json = try response.json()
        #expect(json["model"]?.string == "eliza")
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    @Test func otherScriptsAnswerTheirOwnModels() throws {
        let response = APIHarness().chat(userBody("PALP A B B A", model: "eliza-palindrome"))
        let json = try response.json()
        #expect(json["model"]?.string == "eliza-palindrome")
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "TRUE")
    }

    // MARK: The CACM 1966 conversation, replayed statelessly

    @Test func cacmConversationIsReadable() throws {
        let conversation = try #require(CACM.conversation, "could not read \(CACM.path)")
        #expect(conversation.turns.count == 15)
        #expect(conversation.greeting == CompiledScripts.doctor.greetingText)
    }

    /// Request `turn` carries the greeting, the first `turn - 1` exchanges and the next user line, as a
    /// client holding the history sends it; the reply must be the one printed in CACM.
    @Test(arguments: 1...15)
    func cacmReplayedStatelessly(turn: Int) throws {
        let conversation = try #require(CACM.conversation)
        let turns = try #require(conversation.turns.count >= turn ? conversation.turns : nil)
        var messages: [(role: String, content: String)] = [("assistant", conversation.greeting)]
        for exchange in turns.prefix(turn - 1) {
            messages.append(("user", exchange.user))
            messages.append(("assistant", exchange.eliza))
        }
        messages.append(("user", turns[turn - 1].user))
        let response = APIHarness().chat(chatBody(messages))
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == turns[turn - 1].eliza)
        let promptWords = messages.reduce(0) { $0 + $1.content.split(separator: " ").count }
        #expect(json["usage"]?["prompt_tokens"]?.number == Double(promptWords))
    }

    // MARK: What ELIZA hears

    /// Saying "Men are all alike." twice moves to the keyword's next reassembly, so a second hearing
    /// would change the reply: this is what proves the other roles are not spoken.
    @Test(arguments: ["system", "developer", "assistant", "tool"])
    func onlyUserMessagesAreSpokenToEliza(role: String) throws {
        let harness = APIHarness()
        let control = try harness.chat(chatBody([("user", "Men are all alike."), ("user", "Men are all alike.")]))
            .json()
        let controlReply = try #require(control["choices"]?[0]?["message"]?["content"]?.string)
        #expect(controlReply != "IN WHAT WAY")

        let response = try harness.chat(chatBody([(role, "Men are all alike."), ("user", "Men are all alike.")])).json()
        #expect(response["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
        // Their words still count as prompt tokens.
        #expect(response["usage"]?["prompt_tokens"]?.number == 8)
    }

    @Test func contentAsAListOfParts() throws {
        let body = #"""
            {"model":"eliza","messages":[{"role":"user","content":[
              {"type":"text","text":"Men are"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"text","text":"all alike."}]}]}
            """#
        let json = try APIHarness().chat(body).json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
        #expect(json["usage"]?["prompt_tokens"]?.number == 4)
    }

    @Test func textPartsAreJoinedWithASpace() throws {
        let parts = try ChatCompletionRequest.decode(
            Array(
                #"""
                {"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"input_audio","input_audio":{}},{"type":"text","text":"b"}]}]}
                """#.utf8))
        #expect(parts.messages.map(\.text) == ["a b"])
    }

    @Test func contentPartsOptionsAndEscapesAreRead() throws {
        let parts = try ChatCompletionRequest.decode(Array(JSONDecoderAgreementTests.common[3].utf8))
        #expect(parts.messages.map(\.text) == ["Well, my boyfriend made me come here."])
        #expect(parts.stream && parts.includeUsage)
        let options = try ChatCompletionRequest.decode(Array(JSONDecoderAgreementTests.common[4].utf8))
        #expect(options.model == "eliza-doctor" && options.maxTokens == 12 && options.n == 2)
        let escapes = try ChatCompletionRequest.decode(Array(JSONDecoderAgreementTests.common[6].utf8))
        #expect(
            escapes.messages[1].text == "It's true. I am unhappy. éé café 😀 \"quoted\" back\\slash / \u{8}\u{C}\n\r\t")
        #expect(escapes.model == "eliza" && escapes.n == 1 && !escapes.includeUsage)
    }

    @Test func nullContentIsSkipped() throws {
        let body = #"""
            {"model":"eliza","messages":[
              {"role":"user","content":"Men are all alike."},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"user","content":null}]}
            """#
        let response = APIHarness().chat(body)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
        #expect(json["usage"]?["prompt_tokens"]?.number == 4)
    }

    @Test func noUserMessageGivesTheGreeting() throws {
        let json = try APIHarness().chat(chatBody([("system", "You are ELIZA.")])).json()
        let greeting = CompiledScripts.doctor.greetingText
        #expect(greeting == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM")
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == greeting)
        #expect(json["choices"]?[0]?["finish_reason"]?.string == "stop")
        #expect(json["usage"]?["prompt_tokens"]?.number == 3)
        #expect(json["usage"]?["completion_tokens"]?.number == 9)
    }

    @Test func identicalRequestsGiveIdenticalContent() throws {
        let harness = APIHarness()
        let body = chatBody([
            ("user", "Men are all alike."), ("assistant", "IN WHAT WAY"),
            ("user", "They're always bugging us about something or other."), ("user", "Bullies."),
        ])
        let replies = try (0..<3).map { _ in try harness.chat(body).json() }
        let contents = replies.map { $0["choices"]?[0]?["message"]?["content"]?.string }
        #expect(contents[0] != nil)
        #expect(Set(contents).count == 1)
        #expect(Set(replies.compactMap { $0["id"]?.string }).count == 3, "each completion has its own id")
    }

    // MARK: max_tokens, n

    @Test(arguments: [
        (#""max_tokens":3"#, "YOUR BOYFRIEND MADE", "length"),
        (#""max_completion_tokens":2"#, "YOUR BOYFRIEND", "length"),
        (#""max_tokens":4,"max_completion_tokens":2"#, "YOUR BOYFRIEND", "length"),
        (#""max_tokens":1,"max_completion_tokens":5"#, "YOUR", "length"),
        (#""max_tokens":6"#, "YOUR BOYFRIEND MADE YOU COME HERE", "stop"),
        (#""max_tokens":100"#, "YOUR BOYFRIEND MADE YOU COME HERE", "stop"),
        (#""max_tokens":null"#, "YOUR BOYFRIEND MADE YOU COME HERE", "stop"),
    ])
    func maxTokensCutsTheReply(limit: String, content: String, finishReason: String) throws {
        let json = try APIHarness().chat(userBody("Well, my boyfriend made me come here.", limit)).json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == content)
        #expect(json["choices"]?[0]?["finish_reason"]?.string == finishReason)
        let words = Double(content.split(separator: " ").count)
        #expect(json["usage"]?["completion_tokens"]?.number == words)
        #expect(json["usage"]?["total_tokens"]?.number == 7 + words)
    }

    @Test func nGivesIdenticalChoices() throws {
        let response = APIHarness().chat(userBody("Men are all alike.", #""n":3"#))
        #expect(response.status == 200)
        let json = try response.json()
        let choices = try #require(json["choices"]?.array)
        #expect(choices.map { $0["index"]?.number } == [0, 1, 2])
        #expect(choices.allSatisfy { $0["message"]?["content"]?.string == "IN WHAT WAY" })
        #expect(choices.allSatisfy { $0["finish_reason"]?.string == "stop" && $0["logprobs"]?.isNull == true })
        // OpenAI counts the completion tokens of every choice.
        #expect(json["usage"]?["prompt_tokens"]?.number == 4)
        #expect(json["usage"]?["completion_tokens"]?.number == 9)
        #expect(json["usage"]?["total_tokens"]?.number == 13)
    }

    @Test(arguments: [17, 0, -1, 1_000_000])
    func nOutOfRangeIsRefused(n: Int) throws {
        let response = APIHarness().chat(userBody("Men are all alike.", #""n":\#(n)"#))
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", "n must be between 1 and 16")
        #expect(try response.json()["error"]?["param"]?.string == "n")
    }

    // MARK: Streaming

    /// The chunks of a stream, checked for the framing and the fields every chunk shares.
    struct Stream {
        var chunks: [DecodedJSON]
        var id: String

        init(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(response.status == 200, sourceLocation: sourceLocation)
            #expect(response.header("content-type") == "text/event-stream", sourceLocation: sourceLocation)
            let payloads = try #require(
                eventPayloads(response.text), "bad framing: \(response.text)", sourceLocation: sourceLocation)
            #expect(payloads.last == "[DONE]", sourceLocation: sourceLocation)
            #expect(response.text.hasSuffix("\n\ndata: [DONE]\n\n"), sourceLocation: sourceLocation)
            chunks = try payloads.dropLast().map { try DecodedJSON.parse($0) }
            let first = try #require(chunks.first, sourceLocation: sourceLocation)
            id = try #require(first["id"]?.string, sourceLocation: sourceLocation)
            #expect(id.hasPrefix("chatcmpl-"), sourceLocation: sourceLocation)
            for chunk in chunks {
                #expect(chunk["id"] == first["id"], sourceLocation: sourceLocation)
                #expect(chunk["created"] == first["created"], sourceLocation: sourceLocation)
                #expect(chunk["model"] == first["model"], sourceLocation: sourceLocation)
                #expect(chunk["object"]?.string == "chat.completion.chunk", sourceLocation: sourceLocation)
            }
            #expect(
                rawNumbers(for: "created", in: response.text).allSatisfy(isIntegerToken), sourceLocation: sourceLocation
            )
        }

        /// Chunks that carry a choice (not the usage chunk).
        var choiceChunks: [DecodedJSON] { chunks.filter { $0["choices"]?.array?.isEmpty == false } }
        var finishReasons: [String] { choiceChunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.string } }
        var content: String {
            choiceChunks.dropFirst().compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }.joined()
        }
        var usageChunks: [DecodedJSON] { chunks.filter { $0["usage"] != nil } }
    }

    @Test(arguments: [
        "Well, my boyfriend made me come here.",
        "Men are all alike.",
        "You are not very aggressive but I think you don't want me to notice that.",
    ])
    func streamMatchesTheNonStreamReply(text: String) throws {
        let harness = APIHarness()
        let plain = try harness.chat(userBody(text)).json()
        let expected = try #require(plain["choices"]?[0]?["message"]?["content"]?.string)
        let stream = try Stream(harness.chat(userBody(text, #""stream":true"#)))

        let role = try #require(stream.chunks.first?["choices"]?[0])
        #expect(role["index"]?.number == 0)
        #expect(role["delta"] == .object(["role": .string("assistant"), "content": .string("")]))
        #expect(role["finish_reason"]?.isNull == true)

        // One chunk per word, then the finish chunk with an empty delta.
        let wordChunks = stream.choiceChunks.dropFirst().dropLast()
        #expect(wordChunks.count == expected.split(separator: " ").count)
        #expect(wordChunks.allSatisfy { $0["choices"]?[0]?["finish_reason"]?.isNull == true })
        #expect(wordChunks.allSatisfy { $0["choices"]?[0]?["delta"]?.object?.keys.sorted() == ["content"] })
        #expect(stream.content == expected)
        #expect(stream.choiceChunks.last?["choices"]?[0]?["delta"] == .object([:]))
        #expect(stream.finishReasons == ["stop"])
        #expect(stream.usageChunks.isEmpty)
        #expect(stream.chunks.first?["model"]?.string == "eliza")
    }

    @Test func streamUsageChunkOnlyWhenAskedFor() throws {
        let harness = APIHarness()
        let text = "Well, my boyfriend made me come here."
        for options in [
            "", #""stream_options":{"include_usage":false}"#, #""stream_options":null"#, #""stream_options":{}"#,
        ] {
            let extra = #""stream":true"# + (options.isEmpty ? "" : "," + options)
            let stream = try Stream(harness.chat(userBody(text, extra)))
            #expect(stream.usageChunks.isEmpty, "\(options)")
            #expect(stream.chunks.allSatisfy { $0["choices"]?.array?.isEmpty == false })
        }

        let response = harness.chat(userBody(text, #""stream":true,"stream_options":{"include_usage":true}"#))
        let stream = try Stream(response)
        #expect(stream.usageChunks.count == 1)
        let last = try #require(stream.chunks.last)
        #expect(last["choices"] == .array([]))
        #expect(
            last["usage"]
                == .object(["prompt_tokens": .number(7), "completion_tokens": .number(6), "total_tokens": .number(13)]))
        #expect(stream.finishReasons == ["stop"])
        for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
            #expect(rawNumbers(for: key, in: response.text).allSatisfy(isIntegerToken))
        }
    }

    @Test func streamHonoursMaxTokens() throws {
        let stream = try Stream(
            APIHarness().chat(
                userBody(
                    "Well, my boyfriend made me come here.",
                    #""stream":true,"max_tokens":2,"stream_options":{"include_usage":true}"#)))
        #expect(stream.content == "YOUR BOYFRIEND")
        #expect(stream.finishReasons == ["length"])
        #expect(stream.usageChunks.first?["usage"]?["completion_tokens"]?.number == 2)
    }

    @Test func streamWithSeveralChoices() throws {
        let stream = try Stream(
            APIHarness().chat(
                userBody("Men are all alike.", #""stream":true,"n":2,"stream_options":{"include_usage":true}"#)))
        for index in 0..<2 {
            let mine = stream.choiceChunks.filter { $0["choices"]?[0]?["index"]?.number == Double(index) }
            #expect(mine.first?["choices"]?[0]?["delta"]?["role"]?.string == "assistant")
            #expect(
                mine.dropFirst().compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }.joined()
                    == "IN WHAT WAY")
            #expect(mine.compactMap { $0["choices"]?[0]?["finish_reason"]?.string } == ["stop"])
        }
        #expect(stream.usageChunks.first?["usage"]?["completion_tokens"]?.number == 6)
    }

    /// The stream decision is made on `body.stream`, not on the Accept header.
    @Test func acceptHeaderDoesNotChooseStreaming() throws {
        let harness = APIHarness()
        let plain = harness.chat(userBody("Men are all alike."), headers: [HTTPHeader("accept", "text/event-stream")])
        #expect(plain.header("content-type") == "application/json")
        let stream = harness.chat(
            userBody("Men are all alike.", #""stream":true"#), headers: [HTTPHeader("accept", "application/json")])
        #expect(stream.header("content-type") == "text/event-stream")
    }

    // MARK: Other routes

    @Test(arguments: ["/v1/models", "/models", "/v1/models/"])
    func modelsAreListed(path: String) throws {
        let response = APIHarness().handle(.get(path))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(json["object"]?.string == "list")
        let data = try #require(json["data"]?.array)
        let ids = data.compactMap { $0["id"]?.string }
        #expect(ids.first == "eliza")
        for id in ["eliza", "eliza-doctor", "eliza-palindrome", "eliza-equal-number", "eliza-doctor-fr"] {
            #expect(ids.contains(id), "\(id) missing from \(ids)")
        }
        #expect(Set(ids).count == ids.count)
        for model in data {
            #expect(model["object"]?.string == "model")
            #expect(model["created"]?.number == 0)
            #expect(model["owned_by"]?.string?.isEmpty == false)
        }
        #expect(rawNumbers(for: "created", in: response.text).allSatisfy(isIntegerToken))
    }

    @Test func modelsNeedTheKeyWhenOneIsConfigured() throws {
        let harness = APIHarness { $0.apiKey = "k" }
        #expect(harness.handle(.get("/v1/models")).status == 401)
        #expect(harness.handle(.get("/v1/models", headers: [HTTPHeader("authorization", "Bearer k")])).status == 200)
    }

    @Test(arguments: ["/health", "/v1/health"])
    func healthNeedsNoKey(path: String) {
        let harness = APIHarness { $0.apiKey = "k" }
        let response = harness.handle(.get(path))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.text == #"{"status":"ok"}"#)
        let wrongKey = harness.handle(.get(path, headers: [HTTPHeader("authorization", "Bearer nope")]))
        #expect(wrongKey.status == 200)
    }
}

@Test("stream pieces carry the spaces before each word, as in the wire doc, and concatenate exactly")
func streamPiecesLeadWithSpaces() {
    #expect(Words.streamPieces("IN WHAT WAY", maxChunks: 64) == ["IN", " WHAT", " WAY"])
    #expect(Words.streamPieces("A  B ", maxChunks: 64) == ["A", "  B", " "])
    #expect(Words.streamPieces("", maxChunks: 64).isEmpty)
    let french = "JE  VOUS  ÉCOUTE "
    #expect(Words.streamPieces(french, maxChunks: 64).joined() == french)
}

@Test(
    "a reply of more words than chunks streams as that many runs of consecutive words, as even as they come",
    arguments: [(1, 1), (5, 1), (5, 2), (5, 5), (6, 5), (64, 64), (65, 64), (200, 64), (1_000, 3)])
func streamPiecesAreGrouped(words: Int, maxChunks: Int) {
    let content = (0..<words).map { "W\($0)" }.joined(separator: " ")
    let pieces = Words.streamPieces(content, maxChunks: maxChunks)
    #expect(pieces.joined() == content)
    #expect(pieces.count == min(words, maxChunks))
    let sizes = pieces.map { Words.count($0) }
    #expect(sizes.reduce(0, +) == words)
    #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1, "\(sizes)")
}

@Test("the whitespace table that counts words for usage is Unicode's White_Space property, scalar for scalar")
func whitespaceTableIsTheUnicodeProperty() {
    var differences: [UInt32] = []
    for value in UInt32(0)...0x10FFFF {
        guard let scalar = Unicode.Scalar(value) else { continue }
        if Words.isWhitespace(value) != scalar.properties.isWhitespace { differences.append(value) }
    }
    #expect(differences.isEmpty, "\(differences.prefix(10).map { String($0, radix: 16) })")
}
