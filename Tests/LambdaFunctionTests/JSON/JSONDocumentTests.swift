import Testing

@testable import LambdaFunction

/// The reader (`JSONDocument`) and its typed accessors, on small inline texts.
@Suite struct JSONDocumentTests {
    static func parse(_ text: String, maxDepth: Int = JSONDocument.defaultMaxDepth) throws -> JSONDocument {
        try JSONDocument(parsing: Array(text.utf8), maxDepth: maxDepth)
    }

    static func syntaxError(_ bytes: [UInt8], maxDepth: Int = JSONDocument.defaultMaxDepth) -> JSONSyntaxError? {
        #expect(throws: JSONSyntaxError.self) { try JSONDocument(parsing: bytes, maxDepth: maxDepth) }
    }

    static func syntaxError(_ text: String, maxDepth: Int = JSONDocument.defaultMaxDepth) -> JSONSyntaxError? {
        syntaxError(Array(text.utf8), maxDepth: maxDepth)
    }

    // MARK: Values

    @Test func everyKindOfValue() throws {
        let root = try Self.parse(
            #" {"s":"x","t":true,"f":false,"z":null,"i":-12,"d":2.5,"a":[1,[],{}],"o":{"k":"v"}} "#
        ).root
        let object = try root.object()
        #expect(root.kind == .object)
        #expect(try object.requireString("s") == "x")
        #expect(try object.optionalBool("t") == true && object.optionalBool("f") == false)
        #expect(object["z"]?.isNull == true && object.optional("z") == nil && object["absent"] == nil)
        #expect(try object.optionalString("z") == nil)
        #expect(try object.optionalInt("i") == -12 && object.optionalDouble("d") == 2.5)
        let array = try #require(try object.optionalArray("a"))
        #expect(array.count == 3 && !array.isEmpty)
        #expect(array.map(\.kind) == [.number, .array, .object])
        #expect(try array.elements[1].array().isEmpty)
        #expect(try object.optionalObject("o")?.requireString("k") == "v")
        #expect(object.members.map(\.key) == ["s", "t", "f", "z", "i", "d", "a", "o"])
    }

    /// A text may be any value (RFC 8259 §2), not only an object.
    @Test(arguments: [
        ("5", JSONValue.Kind.number), (#""s""#, .string), ("null", .null), ("true", .bool), ("[]", .array),
        (" {} ", .object),
    ])
    func scalarTexts(text: String, kind: JSONValue.Kind) throws {
        #expect(try Self.parse(text).root.kind == kind)
    }

    @Test func wrongTypesNameTheProblem() throws {
        let object = try Self.parse(#"{"n":"1","s":5,"b":"yes","o":[],"a":{}}"#).root.object()
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("n")]), "must be an integer")) {
            try object.optionalInt("n")
        }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("s")]), "must be a string")) {
            try object.optionalString("s")
        }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("b")]), "must be true or false")) {
            try object.optionalBool("b")
        }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("o")]), "must be an object")) {
            try object.optionalObject("o")
        }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("a")]), "must be an array")) {
            try object.optionalArray("a")
        }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("x")]), "is required")) { try object.require("x") }
        #expect(throws: JSONDecodingError(path: DecodingPath([.key("s")]), "must be a name")) {
            try object.requireString("s", "must be a name")
        }
    }

    @Test func pathsNameNestedValues() throws {
        let root = try Self.parse(#"{"m":[{"c":"a"},{"c":[{"t":1},{"t":{"deep":[0,1,[2]]}}]}],"e\u0073c":[true]}"#).root
        let parts = try #require(try root.object()["m"]?.array().elements[1].object()["c"]?.array())
        let second = parts.elements[1]
        let deep = try #require(try second.object()["t"]?.object()["deep"]?.array().elements[2].array().elements.first)
        #expect(deep.path.description == "m[1].c[1].t.deep[2][0]")
        #expect(try deep.int() == 2)
        #expect(try second.object().invalid("text", "is required").description == "m[1].c[1].text is required")
        let escaped = try #require(try root.object()["esc"]?.array().elements.first)
        #expect(escaped.path.description == "esc[0]", "keys in paths are unescaped")
        #expect(root.path.isEmpty && root.invalid("must be an array").description == "must be an array")
    }

    /// RFC 8259 allows repeated names; a lookup finds the first, as JSONDecoder does, and `members`
    /// lists them all.
    @Test func duplicateKeysFirstOneWins() throws {
        let object = try Self.parse(#"{"a":1,"b":2,"a":"three","\u0061":4}"#).root.object()
        #expect(try object.optionalInt("a") == 1)
        #expect(object.members.map(\.key) == ["a", "b", "a", "a"])
    }

    // MARK: Strings

    @Test func escapes() throws {
        let text =
            #"["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u00E9\u20AC\ud83d\ude00\uD834\uDD1E", "\u0000", "plain é 😀", ""]"#
        let strings = try Self.parse(text).root.array().map { try $0.string() }
        #expect(strings == ["\"\\/\u{8}\u{C}\n\r\t", "Aéé€😀𝄞", "\u{0}", "plain é 😀", ""])
        let bytes = try Self.parse(text).root.array().map { try $0.utf8() }
        #expect(bytes == strings.map { Array($0.utf8) })
    }

    @Test(arguments: [
        #"["\ud800"]"#, #"["\udc00"]"#, #"["\ud800\u0041"]"#, #"["\ude00\ud83d"]"#, #"["\ud800\"]"#,
        #"["\ud83d\ud83d"]"#, #"{"\udfff":1}"#,
    ])
    func loneSurrogatesAreRefused(text: String) {
        #expect(Self.syntaxError(text)?.code == .loneSurrogate)
    }

    @Test(arguments: [
        (#"["\q"]"#, JSONSyntaxError.Code.invalidEscape(found: "'q'")), (#"["\u12G4"]"#, .invalidUnicodeEscape),
        (#"["\u12"]"#, .invalidUnicodeEscape), ("[\"a\tb\"]", .controlCharacterInString(0x09)),
        ("[\"a\u{0}\"]", .controlCharacterInString(0)), (#"["abc"#, .unexpectedEnd), (#"["abc\"#, .unexpectedEnd),
    ])
    func badStrings(text: String, code: JSONSyntaxError.Code) {
        #expect(Self.syntaxError(text)?.code == code)
    }

    /// Not UTF-8 anywhere (in a string, outside one, after a syntax error): always reported as such.
    @Test(
        arguments: [
            [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
            [0x22, 0xE2, 0x82, 0x22], [0x5B, 0xFF, 0x5D], [0x5B, 0x31, 0x5D, 0x20, 0x80], [0x7B, 0x7D, 0x7D, 0xE9],
        ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(Self.syntaxError(bytes)?.code == .invalidUTF8)
    }

    @Test func validUTF8OfEveryLength() throws {
        for text in [
            "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}",
        ] {
            #expect(try JSONDocument(parsing: Array(JSONText.quoted(text).utf8)).root.string() == text)
        }
    }

    /// Whatever the writer writes, the reader reads back.
    @Test func roundTripThroughTheWriter() throws {
        let tricky = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }.joined() + "é€😀\u{2028}\u{FEFF}"
        var json = JSONText()
        json.string(tricky, tricky)
        json.int("min", Int.min)
        json.int("max", Int.max)
        json.double("d", -1.5e-300)
        json.array("a") {
            $0.string(tricky)
            $0.null()
        }
        let object = try JSONDocument(parsing: json.finishUTF8()).root.object()
        #expect(try object.requireString(tricky) == tricky)
        #expect(try object.optionalInt("min") == Int.min && object.optionalInt("max") == Int.max)
        #expect(try object.optionalDouble("d") == -1.5e-300)
        #expect(try object.optionalArray("a")?.elements.first?.string() == tricky)
    }

    // MARK: Numbers

    /// Integers are read exactly; a fraction or an exponent is fine when the exact value is an integer.
    @Test(
        arguments: [
            ("0", 0), ("-0", 0), ("7", 7), ("-42", -42), ("3.0", 3), ("3e0", 3), ("3E+0", 3), ("300e-2", 3),
            ("0.3e1", 3), ("2.50e1", 25),
            ("0e-400", 0), ("0.000e99999999999999999999", 0), ("-0.0", 0),
            ("10000000000000000000e-1", 1_000_000_000_000_000_000),
            ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min), ("-9.223372036854775808e18", Int.min),
            ("9007199254740993", 9_007_199_254_740_993), ("9007199254740993e0", 9_007_199_254_740_993), ("00000", nil),
        ] as [(String, Int?)])
    func integers(text: String, value: Int?) throws {
        guard let value else {
            #expect(Self.syntaxError("[\(text)]")?.code == .invalidNumber)
            return
        }
        #expect(try Self.parse(text).root.int() == value)
    }

    @Test(arguments: [
        "1.5", "-0.5", "1e-1", "1e-400", "1.0000000000000001", "9007199254740993.5", "9223372036854775808",
        "-9223372036854775809", "1e19", "1e30", "1e99999999999999999999", "123456789012345678901234567890e-29",
    ])
    func notIntegers(text: String) throws {
        let value = try Self.parse(text).root
        #expect(throws: JSONDecodingError(path: DecodingPath(), "must be an integer")) { try value.int() }
    }

    @Test(
        arguments: [
            ("0", 0.0), ("-0.0", -0.0), ("2.5", 2.5), ("5e-324", .leastNonzeroMagnitude), ("0e-400", 0),
            ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("12345678901234567890", 12_345_678_901_234_567_890.0), ("-1E+2", -100),
        ] as [(String, Double)])
    func doubles(text: String, value: Double) throws {
        let read = try Self.parse(text).root.double()
        #expect(read == value && read.sign == value.sign)
    }

    /// Beyond `Double`: refused, not read as infinity or as zero.
    @Test(arguments: ["1e400", "-1e400", "1.8e308", "1e-400", "-2e-999"])
    func doublesOutOfRange(text: String) throws {
        let value = try Self.parse(text).root
        #expect(throws: JSONDecodingError(path: DecodingPath(), "must be a number")) { try value.double() }
    }

    @Test(arguments: [
        ("01", JSONSyntaxError.Code.invalidNumber), ("-01", .invalidNumber), ("1.", .invalidNumber),
        ("-", .invalidNumber), ("1e", .invalidNumber),
        ("1e+", .invalidNumber), ("1.e5", .invalidNumber), ("--1", .invalidNumber), ("-Infinity", .invalidNumber),
        ("+1", .expectedValue(found: "'+'")),
        (".5", .expectedValue(found: "'.'")), ("Infinity", .expectedValue(found: "'I'")),
        ("NaN", .expectedValue(found: "'N'")),
        ("0x10", .expectedCommaOrBracket(found: "'x'")), ("1_000", .expectedCommaOrBracket(found: "'_'")),
        ("1.5.5", .expectedCommaOrBracket(found: "'.'")),
    ])
    func invalidNumbers(text: String, code: JSONSyntaxError.Code) {
        #expect(Self.syntaxError("[\(text)]")?.code == code)
    }

    // MARK: Structure

    @Test(arguments: [
        ("", JSONSyntaxError.Code.unexpectedEnd), ("   ", .unexpectedEnd), ("[", .unexpectedEnd),
        ("[1", .unexpectedEnd), ("{", .unexpectedEnd),
        (#"{"a""#, .unexpectedEnd), (#"{"a":"#, .unexpectedEnd), ("[1,]", .expectedValue(found: "']'")),
        (#"{"a":1,}"#, .expectedKey(found: "'}'")),
        ("{a:1}", .expectedKey(found: "'a'")), (#"{"a" 1}"#, .expectedColon(found: "'1'")),
        (#"{"a":1 "b":2}"#, .expectedCommaOrBrace(found: "'\"'")),
        ("[1 2]", .expectedCommaOrBracket(found: "'2'")), ("[1}", .expectedCommaOrBracket(found: "'}'")),
        (#"{"a":1]"#, .expectedCommaOrBrace(found: "']'")),
        ("[] []", .trailingText(found: "'['")), ("1 x", .trailingText(found: "'x'")), ("tru", .invalidLiteral),
        ("nul", .invalidLiteral),
        ("True", .expectedValue(found: "'T'")), ("[é]", .expectedValue(found: "'é'")),
        ("\u{0}", .expectedValue(found: "U+0000")),
        ("\u{FEFF}", .unexpectedEnd), ("[\u{C}]", .expectedValue(found: "U+000C")),
    ])
    func badStructure(text: String, code: JSONSyntaxError.Code) {
        #expect(Self.syntaxError(text)?.code == code)
    }

    @Test func errorsSayWhere() throws {
        let error = try #require(Self.syntaxError("{\n  \"a\": [1, 2,\n   é, 3]\n}"))
        #expect(error.line == 3 && error.column == 4 && error.offset == 19)
        #expect(error.description == "expected a value, found 'é' at line 3, column 4")
    }

    /// A UTF-8 byte-order mark is skipped (RFC 8259 §8.1 allows it); UTF-16 is not JSON to us.
    @Test func byteOrderMarks() throws {
        #expect(try JSONDocument(parsing: [0xEF, 0xBB, 0xBF] + Array("{}".utf8)).root.kind == .object)
        #expect(Self.syntaxError([0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00])?.code == .invalidUTF8)
        #expect(Self.syntaxError([0x7B, 0x00, 0x7D, 0x00])?.code == .expectedKey(found: "U+0000"))
    }

    @Test func depthLimit() throws {
        let nested = { (depth: Int) in String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(try Self.parse(nested(64)).root.kind == .array)
        #expect(Self.syntaxError(nested(65))?.code == .tooDeep(limit: 64))
        #expect(try Self.parse(nested(3), maxDepth: 3).root.kind == .array)
        #expect(Self.syntaxError(nested(4), maxDepth: 3)?.code == .tooDeep(limit: 3))
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(Self.syntaxError(objects)?.code == .tooDeep(limit: 64))
        #expect(try Self.parse(#"[{"a":[{"b":[]}]}]"#, maxDepth: 5).root.kind == .array)
    }

    /// Deep, long and wide texts: refused or read in one pass, without recursion, in linear time.
    @Test func largeTexts() throws {
        let brackets = Array(repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(Self.syntaxError(brackets)?.code == .tooDeep(limit: 64))
        #expect(
            Self.syntaxError(Array(repeating: UInt8(ascii: "{"), count: 100_000))?.code == .expectedKey(found: "'{'"))

        let long = String(repeating: "MEN ARE ALL ALIKE \\n ", count: 50_000)
        #expect(try Self.parse("\"\(long)\"").root.string().count == 50_000 * 20)

        let wide = "[" + Array(repeating: "0", count: 500_000).joined(separator: ",") + "]"
        let document = try Self.parse(wide)
        #expect(document.root.kind == .array && document.tokens.count == 500_001)
        #expect(try document.root.array().count == 500_000)

        let members = "{" + (0..<100_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let object = try Self.parse(members).root.object()
        #expect(try object.optionalInt("k99999") == 99_999 && object["k100000"] == nil)
    }
}

extension JSONArray {
    /// The elements, for indexing in tests.
    var elements: [JSONValue] { Array(self) }
}
