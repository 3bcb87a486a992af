import FoundationEssentials
import LambdaFunction
import Testing

@Suite struct JSONTextTests {
    @Test func emptyObject() {
        #expect(JSONText().finish() == "{}")
    }

    @Test func membersInInsertionOrder() {
        var json = JSONText()
        json.string("z", "last letter")
        json.int("a", -42)
        json.double("m", 0.25)
        json.bool("t", true)
        json.bool("f", false)
        json.null("n")
        #expect(json.finish() == #"{"z":"last letter","a":-42,"m":0.25,"t":true,"f":false,"n":null}"#)
    }

    @Test func nestedObjectsAndArrays() throws {
        var json = JSONText()
        json.string("object", "chat.completion")
        json.array("choices") { choices in
            choices.object { choice in
                choice.int("index", 0)
                choice.object("message") { message in
                    message.string("role", "assistant")
                    message.string("content", "HOW DO YOU DO.")
                }
                choice.string("finish_reason", "stop")
            }
            choices.array {
                $0.int(1)
                $0.null()
                $0.bool(false)
                $0.double(.nan)
                $0.string("s")
            }
            choices.array { _ in }
        }
        json.object("usage") { _ in }
        json.int("created", 0)
        let text = json.finish()
        #expect(
            text == #"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","#
                + #""content":"HOW DO YOU DO."},"finish_reason":"stop"},[1,null,false,null,"s"],[]],"usage":{},"created":0}"#
        )
        _ = try JSONDecoder().decode(DecodedJSON.self, from: Data(text.utf8))
    }

    @Test(arguments: [
        (0, "0"), (7, "7"), (-7, "-7"), (1_000_000, "1000000"),
        (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"),
    ])
    func integers(value: Int, text: String) {
        var json = JSONText()
        json.int("v", value)
        #expect(json.finish() == #"{"v":\#(text)}"#)
    }

    @Test(
        arguments: [
            (1.5, "1.5"), (0, "0.0"), (-0.0, "-0.0"), (100, "100.0"), (1e-7, "1e-07"), (1e300, "1e+300"),
            (.nan, "null"), (.infinity, "null"), (-.infinity, "null"), (.signalingNaN, "null"),
        ] as [(Double, String)])
    func doubles(value: Double, text: String) throws {
        var json = JSONText()
        json.double("v", value)
        let output = json.finish()
        #expect(output == #"{"v":\#(text)}"#)
        let decoded = try JSONDecoder().decode(DecodedJSON.self, from: Data(output.utf8))
        #expect(decoded == .object(["v": value.isFinite ? .number(value) : .null]))
    }

    @Test(arguments: [
        ("", #""""#),
        ("plain", #""plain""#),
        ("\"", #""\"""#),
        ("\\", #""\\""#),
        ("/", #""/""#),
        ("\u{8}\u{C}\n\r\t", #""\b\f\n\r\t""#),
        ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
        ("a\u{0}b\"c\\d", #""a\u0000b\"c\\d""#),
        ("é😀\u{FFFF}", "\"é😀\u{FFFF}\""),
    ])
    func quoting(value: String, quoted: String) {
        #expect(JSONText.quoted(value) == quoted)
    }

    /// Every scalar below U+0100, and a few beyond, survives a round trip through a real JSON parser.
    @Test func everyScalarRoundTrips() throws {
        var scalars = (0..<0x100).compactMap(Unicode.Scalar.init)
        scalars += [Unicode.Scalar(0x2028), Unicode.Scalar(0xFEFF), Unicode.Scalar(0x1F600)].compactMap { $0 }
        let value = String(String.UnicodeScalarView(scalars))
        var json = JSONText()
        json.string(value, value)
        let output = json.finish()
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(output.utf8))
        #expect(decoded == [value: value])
    }

    @Test func keysAreEscapedToo() {
        var json = JSONText()
        json.string("a\"b", "c")
        #expect(json.finish() == #"{"a\"b":"c"}"#)
    }

    @Test(arguments: ["", "plain", "a\"b\\c", "\u{0}\u{1F}\n\t", "é😀가", "e\u{301}\u{301}"])
    func escapedLengthIsTheLengthBetweenTheQuotes(value: String) {
        #expect(JSONText.escapedLength(value) == JSONText.quoted(value).utf8.count - 2)
        // Additive, which lets a response's size be computed from its parts.
        #expect(JSONText.escapedLength(value + "x\u{1}" + value) == 2 * JSONText.escapedLength(value) + 7)
    }

    /// A capped string is the longest prefix, cut at a scalar boundary, whose escaped form and the
    /// `…` fit; a string that fits is written whole.
    @Test(arguments: 0...24)
    func cappedStringsFitAndEndAtAScalarBoundary(maxBytes: Int) throws {
        let value = "ab\"é\u{1}😀" + String(repeating: "\u{301}", count: 4) + "z"
        var json = JSONText()
        json.string("k", value, maxBytes: maxBytes)
        let output = json.finish()
        let written = try #require(try JSONDecoder().decode([String: String].self, from: Data(output.utf8))["k"])
        #expect(JSONText.escapedLength(written) <= max(maxBytes, 0))
        if JSONText.escapedLength(value) <= maxBytes {
            #expect(written == value)
        } else if maxBytes >= 3 {
            #expect(written.hasSuffix("…"))
            let kept = String(written.unicodeScalars.dropLast())
            #expect(value.unicodeScalars.starts(with: kept.unicodeScalars))
            // Nothing more would have fitted: the next scalar's escape is too long.
            let next = value.unicodeScalars.dropFirst(kept.unicodeScalars.count).first.map { String($0) } ?? ""
            #expect(JSONText.escapedLength(kept + next) + 3 > maxBytes)
        } else {
            #expect(written.isEmpty)
        }
    }

    @Test(arguments: [(0, ""), (1, "a"), (2, "a"), (3, "aé"), (4, "aé"), (7, "aé😀"), (100, "aé😀")])
    func utf8PrefixCutsAtAScalarBoundary(bytes: Int, expected: String) {
        #expect("aé😀".prefix(utf8Bytes: bytes) == expected)
    }

    @Test func logFieldsWriteTheirValues() {
        var json = JSONText()
        for field: LogField in [.string("s", "x"), .int("i", 1), .double("d", 2.5), .bool("b", true), .null("n")] {
            json.field(field)
        }
        #expect(json.finish() == #"{"s":"x","i":1,"d":2.5,"b":true,"n":null}"#)
    }
}
