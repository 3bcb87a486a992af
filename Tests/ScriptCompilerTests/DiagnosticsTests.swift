import ElizaVM
import Testing

@testable import ElizaScriptCompiler
@testable import elizac

/// Load errors of section G of ../shared/docs/eliza-1966.md, each on a small inline script, asserting
/// the exact `file:line:col: severity: message` list.
@Suite("Diagnostics")
struct DiagnosticsTests {
    /// An inline script and every diagnostic it must produce, in order.
    struct BadScript: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var expected: [String]
        var testDescription: String { name }
    }

    static func diagnostics(_ text: String) -> (script: Script?, descriptions: [String]) {
        let (script, diagnostics) = ScriptLoader.load(text, file: "bad.eliza", name: "bad")
        return (script, diagnostics.map(\.description))
    }

    /// The valid script every bad script below is a variation of.
    static let valid = """
        (HI)
        (NONE ((0) (WHAT)))
        (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
        (K ((0) (OK)))
        """

    @Test("the script the bad scripts vary loads cleanly")
    func validBaseline() {
        let (script, descriptions) = Self.diagnostics(Self.valid)
        #expect(descriptions == [])
        #expect(script != nil)
    }

    static let cases: [BadScript] = [
        BadScript(
            name: "duplicate keyword, with a note at the first",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                (K ((0) (AGAIN)))
                """,
            expected: [
                "bad.eliza:5:1: error: duplicate keyword K",
                "bad.eliza:4:1: note: K was first defined here",
            ]),
        BadScript(
            name: "missing MEMORY",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:1:1: error: the script has no MEMORY rule, e.g. (MEMORY MY (0 YOUR 0 = …) …) with four transformations [CACM 1966 p.41]"
            ]),
        BadScript(
            name: "duplicate MEMORY, with a note at the first",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                """,
            expected: [
                "bad.eliza:5:1: error: MEMORY appears more than once",
                "bad.eliza:3:1: note: the first MEMORY rule is here",
            ]),
        BadScript(
            name: "MEMORY with three transformations",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:3:1: error: MEMORY needs exactly four transformations, found 3 [CACM 1966 p.41]"
            ]),
        BadScript(
            name: "MEMORY naming a missing keyword",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY Q (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:3:9: error: MEMORY names Q, but the script has no keyword Q"
            ]),
        BadScript(
            name: "missing NONE",
            text: """
                (HI)
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:1:1: error: the script has no NONE rule, which answers when no keyword is found [CACM 1966 p.41]"
            ]),
        BadScript(
            name: "empty decomposition",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K (() (OK)))
                """,
            expected: [
                "bad.eliza:4:5: error: empty decomposition '()' in the rule for K; a decomposition needs at least one element, e.g. (0)"
            ]),
        BadScript(
            name: "reassembly index 0 and too large; a sub-list counts as one element",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0 (*A B) 0) (X 0) (Y 4) (Z 3)))
                """,
            expected: [
                "bad.eliza:4:21: error: reassembly refers to component 0; components are numbered from 1",
                "bad.eliza:4:27: error: reassembly refers to component 4, but decomposition (0 (*A B) 0) has only 3 elements",
            ]),
        BadScript(
            name: "reassembly index too large in a MEMORY transformation",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 K = D 3))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:3:44: error: reassembly refers to component 3, but decomposition (0 K) has only 2 elements"
            ]),
        BadScript(
            name: "link to a missing keyword",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (=Q)))
                """,
            expected: [
                "bad.eliza:4:9: error: link to Q, but the script has no keyword Q"
            ]),
        BadScript(
            name: "links to a keyword without transformations, and to NONE",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (=S) (PRE (X) (=NONE))) (=S))
                (S = T)
                """,
            expected: [
                "bad.eliza:4:9: error: link to S, but S has no transformations",
                "bad.eliza:4:23: error: link to NONE, but the script has no keyword NONE",
                "bad.eliza:4:33: error: link to S, but S has no transformations",
            ]),
        BadScript(
            name: "rule-level link not last",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K (=J) ((0) (OK)))
                (J ((0) (JAY)))
                """,
            expected: [
                "bad.eliza:4:4: error: the rule-level link (=J) must be the last item of the rule for K"
            ]),
        BadScript(
            name: "stray top-level word",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                STRAY
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:4:1: error: unexpected 'STRAY' at the top level; every rule is a list '(KEYWORD …)'"
            ]),
        BadScript(
            name: "START not right after the greeting",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                start
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                """,
            expected: [
                "bad.eliza:3:1: error: START may appear only just after the greeting"
            ]),
        BadScript(
            name: "unclosed parenthesis, reported at the opening one",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK))
                (J ((0) (JAY)))
                """,
            expected: [
                "bad.eliza:4:1: error: expected ')' to close the list opened at 4:1; the file ends inside it",
                "bad.eliza:5:1: note: a rule seems to start here, inside that list; is a ')' missing before it?",
            ]),
        BadScript(
            name: "extra ')'",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK))))
                """,
            expected: [
                "bad.eliza:4:15: error: unexpected ')' with no '(' to close"
            ]),
        BadScript(
            name: "number inside a sub-list",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0 (*A 5) 0) (OK)))
                """,
            expected: [
                "bad.eliza:4:12: error: a number (5) cannot appear inside a sub-list"
            ]),
        BadScript(
            name: "nested sub-list",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0 (*A (B)) 0) (OK)))
                """,
            expected: [
                "bad.eliza:4:12: error: sub-lists cannot be nested: '(B)'"
            ]),
        BadScript(
            name: "empty rule (K2)",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK)))
                (K2)
                """,
            expected: [
                "bad.eliza:5:1: error: the rule for K2 is empty; give it '= word', a precedence, DLIST(…), transformations or a link"
            ]),
        BadScript(
            name: "a failed rule is still a known keyword: no cascading errors",
            text: """
                (HI)
                (NONE ((0) (WHAT)))
                (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
                (K ((0) (OK 2)))
                (J ((0) (=K)))
                (NONE2)
                (L (=NONE2))
                """,
            expected: [
                "bad.eliza:4:13: error: reassembly refers to component 2, but decomposition (0) has only 1 element",
                "bad.eliza:6:1: error: the rule for NONE2 is empty; give it '= word', a precedence, DLIST(…), transformations or a link",
            ]),
    ]

    @Test("bad script", arguments: cases)
    func badScript(_ bad: BadScript) {
        let (script, descriptions) = Self.diagnostics(bad.text)
        #expect(descriptions == bad.expected)
        #expect(script == nil)
    }

    @Test("a file that is not UTF-8 is a diagnostic at the first bad byte (item 5)")
    func notUTF8() {
        let bytes = Array("(HI)\n(NONE ((0) (W".utf8) + [0xE9, 0x20, 0xFF] + Array(")))\n".utf8)
        let (script, diagnostics) = ScriptLoader.load(bytes, file: "latin1.eliza", name: "latin1")
        #expect(script == nil)
        #expect(
            diagnostics.map(\.description) == [
                "latin1.eliza:2:14: error: the file is not valid UTF-8 (byte 0xE9 here); save it as UTF-8"
            ])
    }

    @Test("CR LF and lone CR end a line once each")
    func lineEndings() {
        let text =
            "(HI)\r\n(NONE ((0) (WHAT)))\r\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\r\n\r\n(K ((0) (OK 0)))\r(J ((0) (JAY 2)))\r\n"
        #expect(
            Self.diagnostics(text).descriptions == [
                "bad.eliza:5:13: error: reassembly refers to component 0; components are numbered from 1",
                "bad.eliza:6:14: error: reassembly refers to component 2, but decomposition (0) has only 1 element",
            ])
    }

    @Test("columns count characters, not bytes")
    func columnsCountScalars() {
        let text = "(HÉ)\n(NONE ((0) (WHAT)))\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\n(K ((0) (DÉJÀ VU 0)))\n"
        #expect(
            Self.diagnostics(text).descriptions == [
                "bad.eliza:4:18: error: reassembly refers to component 0; components are numbered from 1"
            ])
    }

    @Test("every diagnostic is reported, not just the first, sorted by location")
    func allDiagnostics() {
        let text = """
            (HI)
            (NONE ((0) (WHAT)))
            (K (() (OK)))
            (J ((0) (=Q) (X 2)))
            STRAY
            (J ((0) (AGAIN)))
            """
        #expect(
            Self.diagnostics(text).descriptions == [
                "bad.eliza:1:1: error: the script has no MEMORY rule, e.g. (MEMORY MY (0 YOUR 0 = …) …) with four transformations [CACM 1966 p.41]",
                "bad.eliza:3:5: error: empty decomposition '()' in the rule for K; a decomposition needs at least one element, e.g. (0)",
                "bad.eliza:4:9: error: link to Q, but the script has no keyword Q",
                "bad.eliza:4:17: error: reassembly refers to component 2, but decomposition (0) has only 1 element",
                "bad.eliza:5:1: error: unexpected 'STRAY' at the top level; every rule is a list '(KEYWORD …)'",
                "bad.eliza:6:1: error: duplicate keyword J",
                "bad.eliza:4:1: note: J was first defined here",
            ])
    }

    @Test("warnings do not stop a script from loading")
    func warningOnly() {
        let text = """
            (HI)
            (NONE ((0) (WHAT)))
            (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
            (K ((0 (/NOBODY) 0) (OK)))
            """
        let (script, descriptions) = Self.diagnostics(text)
        #expect(
            descriptions == [
                "bad.eliza:4:8: warning: no keyword has a DLIST with /NOBODY, so '(/NOBODY)' never matches"
            ])
        #expect(script != nil)
    }
}
