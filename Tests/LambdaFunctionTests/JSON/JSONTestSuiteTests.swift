import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Nicolas Seriot's JSONTestSuite (`../shared/reference/json-test-suite/test_parsing/`): every `y_` file
/// is read, every `n_` file refused, and every `i_` file read or refused as `Self.implementationDefined`
/// says, none with a crash or a hang. Files are read as bytes; several are not UTF-8 on purpose.
@Suite struct JSONTestSuiteTests {
    static let directory = TestPaths.repositoryRoot + "/../shared/reference/json-test-suite/test_parsing"
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
        $0.hasSuffix(".json")
    }.sorted()

    enum Choice: Sendable {
        case accept, reject
    }

    /// Our choice for each `i_` file, and why (see JSONDocument's comment for the policies).
    static let implementationDefined: [String: Choice] = [
        // Numbers are checked against the grammar only; a field that needs an Int or a Double refuses one
        // it cannot represent (JSONValue.int, JSONValue.double), so any size of number is JSON.
        "i_number_double_huge_neg_exp.json": .accept,
        "i_number_huge_exp.json": .accept,
        "i_number_neg_int_huge_exp.json": .accept,
        "i_number_pos_double_huge_exp.json": .accept,
        "i_number_real_neg_overflow.json": .accept,
        "i_number_real_pos_overflow.json": .accept,
        "i_number_real_underflow.json": .accept,
        "i_number_too_big_neg_int.json": .accept,
        "i_number_too_big_pos_int.json": .accept,
        "i_number_very_big_negative_int.json": .accept,
        // A \u escape of a surrogate must be half of a high-then-low pair: a lone one is no Unicode scalar
        // and has no UTF-8 form, so no Swift string can hold it.
        "i_object_key_lone_2nd_surrogate.json": .reject,
        "i_string_1st_surrogate_but_2nd_missing.json": .reject,
        "i_string_1st_valid_surrogate_2nd_invalid.json": .reject,
        "i_string_incomplete_surrogate_and_escape_valid.json": .reject,
        "i_string_incomplete_surrogate_pair.json": .reject,
        "i_string_incomplete_surrogates_escape_valid.json": .reject,
        "i_string_invalid_lonely_surrogate.json": .reject,
        "i_string_invalid_surrogate.json": .reject,
        "i_string_inverted_surrogates_U+1D11E.json": .reject,
        "i_string_lone_second_surrogate.json": .reject,
        // UTF-8 only (RFC 8259 §8.1), well-formed (RFC 3629): no other encodings, no invalid sequences,
        // no encoded surrogates, no overlong forms, nothing past U+10FFFF.
        "i_string_UTF-16LE_with_BOM.json": .reject,
        "i_string_utf16BE_no_BOM.json": .reject,
        "i_string_utf16LE_no_BOM.json": .reject,
        "i_string_iso_latin_1.json": .reject,
        "i_string_UTF-8_invalid_sequence.json": .reject,
        "i_string_UTF8_surrogate_U+D800.json": .reject,
        "i_string_invalid_utf-8.json": .reject,
        "i_string_lone_utf8_continuation_byte.json": .reject,
        "i_string_not_in_unicode_range.json": .reject,
        "i_string_overlong_sequence_2_bytes.json": .reject,
        "i_string_overlong_sequence_6_bytes.json": .reject,
        "i_string_overlong_sequence_6_bytes_null.json": .reject,
        "i_string_truncated-utf-8.json": .reject,
        // Deeper than the 64 levels the reader allows.
        "i_structure_500_nested_arrays.json": .reject,
        // RFC 8259 §8.1: a parser MAY ignore a byte-order mark; we do, as JSONDecoder does.
        "i_structure_UTF-8_BOM_empty_object.json": .accept,
    ]

    /// Files JSONDecoder gives another meaning, and why; the test checks that it still does.
    static let jsonDecoderMisreads: [String: String] = [
        // Its true-zero check (JSONDecoderImpl.isTrueZero) reads the last 1 to 3 bytes of a number right
        // to left, so in `0e1` it meets the exponent's 1 first and refuses the number as "not representable".
        "y_number_0e1.json": "[0e1] is [0]"
    ]

    @Test func theSuiteIsThere() {
        #expect(Self.files.count == 318, "expected the 318 test_parsing files in \(Self.directory)")
        #expect(Set(Self.files.filter { $0.hasPrefix("i_") }) == Set(Self.implementationDefined.keys))
        #expect(Self.files.allSatisfy { $0.hasPrefix("y_") || $0.hasPrefix("n_") || $0.hasPrefix("i_") })
    }

    @Test(arguments: files)
    func file(name: String) throws {
        let bytes = try TestPaths.read(Self.directory + "/" + name)
        let read = Result { () throws(JSONSyntaxError) in try JSONDocument(parsing: bytes) }
        let expected: Choice =
            switch name.prefix(2) {
            case "y_": .accept
            case "n_": .reject
            default: try #require(Self.implementationDefined[name], "no recorded choice for \(name)")
            }
        switch (expected, read) {
        case (.accept, .success(let document)):
            // The same meaning as JSONDecoder gives it.
            let reference = try JSONDecoder().decode(Tree.self, from: Data(bytes))
            if Self.jsonDecoderMisreads[name] != nil {
                #expect(Tree(document.root) != reference)
                #expect(Tree(document.root) == .array([.number(0)]))
            } else {
                #expect(Tree(document.root) == reference)
            }
        case (.reject, .failure):
            break
        case (.accept, .failure(let error)):
            Issue.record("\(name) refused: \(error)")
        case (.reject, .success):
            Issue.record("\(name) accepted")
        }
    }
}

/// A JSON value for comparing meanings: objects keep the first member of each name; numbers are
/// compared as the nearest Double, or as "beyond Double" for both readers' refusal.
private indirect enum Tree: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double?)
    case string(String)
    case array([Tree])
    case object([String: Tree])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
            return
        }
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
            return
        }
        if let value = try? container.decode(String.self) {
            self = .string(value)
            return
        }
        do {
            self = .number(try container.decode(Double.self))
            return
        } catch DecodingError.typeMismatch {
        } catch {
            self = .number(nil)  // JSONDecoder: a number outside Double's range
            return
        }
        if let value = try? container.decode([Tree].self) {
            self = .array(value)
            return
        }
        self = .object(try container.decode([String: Tree].self))
    }

    /// Our reading. The suite's texts nest a few levels at most, so recursion is fine here.
    init(_ value: JSONValue) {
        switch value.kind {
        case .null: self = .null
        case .bool: self = .bool((try? value.bool()) ?? false)
        case .number: self = .number(try? value.double())
        case .string: self = .string((try? value.string()) ?? "")
        case .array: self = .array(JSONArray(value: value).map(Tree.init))
        case .object:
            var members: [String: Tree] = [:]
            for (key, member) in JSONObject(value: value).members where members[key] == nil {
                members[key] = Tree(member)
            }
            self = .object(members)
        }
    }
}
