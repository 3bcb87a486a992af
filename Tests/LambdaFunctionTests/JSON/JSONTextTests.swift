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
            choices.array { $0.int(1); $0.null(); $0.bool(false); $0.double(.nan); $0.string("s") }
            choices.array { _ in }
        }
        json.object("usage") { _ in }
        json.int("created", 0)
        let text = json.finish()
        #expect(text == #"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","#
            + #""content":"HOW DO YOU DO."},"finish_reason":"stop"},[1,null,false,null,"s"],[]],"usage":{},"created":0}"#)
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

    @Test(arguments: [
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

    @Test func logFieldsWriteTheirValues() {
        var json = JSONText()
        for field: LogField in [.string("s", "x"), .int("i", 1), .double("d", 2.5), .bool("b", true), .null("n")] {
            json.field(field)
        }
        #expect(json.finish() == #"{"s":"x","i":1,"d":2.5,"b":true,"n":null}"#)
    }
}
