import ElizaHTTP
import LambdaFunction
import Testing

@Suite struct CallerAllowListTests {
    @Test(arguments: [nil, "", " ", "\t\n", " , ,\n\t", ","] as [String?])
    func unsetOrBlankAllowsAll(text: String?) throws {
        let (list, warnings) = try CallerAllowList.parse(text)
        #expect(list.isAllowAll)
        #expect(warnings.isEmpty)
        #expect(list.allows("203.0.113.10"))
        #expect(list.allows("2001:db8::1"))
        #expect(list.allows(nil as String?))
        #expect(list.allows("not an address"))
        #expect(list.description == "allow-all")
    }

    @Test(arguments: [
        "10.0.0.0/8,192.168.0.0/16",
        "10.0.0.0/8 192.168.0.0/16",
        "10.0.0.0/8, 192.168.0.0/16",
        "10.0.0.0/8,,\n192.168.0.0/16\t",
        ",10.0.0.0/8 ,192.168.0.0/16,",
        "  10.0.0.0/8\r\n192.168.0.0/16  ",
    ])
    func separators(text: String) throws {
        let (list, warnings) = try CallerAllowList.parse(text)
        #expect(!list.isAllowAll)
        #expect(warnings.isEmpty)
        #expect(list.description == "10.0.0.0/8,192.168.0.0/16")
    }

    /// Each bad entry, alone and after a good one: a broken list fails closed (throws) and never
    /// becomes allow-all.
    @Test(arguments: [
        (
            "010.1.1.1",
            "ALLOWED_CALLER_CIDRS: '010.1.1.1' has octet '010' with a leading zero, which is ambiguous "
                + "(octal or decimal?); write it without leading zeros"
        ),
        (
            "10.0.0.1/33",
            "ALLOWED_CALLER_CIDRS: '10.0.0.1/33' has prefix length 33, but an IPv4 prefix is at most 32"
        ),
        (
            "2001:db8::/129",
            "ALLOWED_CALLER_CIDRS: '2001:db8::/129' has prefix length 129, but an IPv6 prefix is at most 128"
        ),
        (
            "10.0.0.0/08",
            "ALLOWED_CALLER_CIDRS: '10.0.0.0/08' has prefix length '08' with a leading zero; "
                + "write it without leading zeros"
        ),
        (
            "1.2.3",
            "ALLOWED_CALLER_CIDRS: '1.2.3' has 3 dot-separated parts, but an IPv4 address has exactly 4"
        ),
        (
            "1.2.3.4.5",
            "ALLOWED_CALLER_CIDRS: '1.2.3.4.5' has 5 dot-separated parts, but an IPv4 address has exactly 4"
        ),
        (
            "256.1.1.1",
            "ALLOWED_CALLER_CIDRS: '256.1.1.1' has octet 256, but an IPv4 octet is at most 255"
        ),
        (
            "1..2.3",
            "ALLOWED_CALLER_CIDRS: '1..2.3' has an empty octet; an IPv4 address is four decimal numbers "
                + "separated by single dots"
        ),
        (
            "+1.2.3.4",
            "ALLOWED_CALLER_CIDRS: '+1.2.3.4' has octet '+1', which is not a decimal number"
        ),
        (
            "::1::",
            "ALLOWED_CALLER_CIDRS: '::1::' uses '::' more than once, but an IPv6 address may compress only "
                + "one run of zero groups"
        ),
        (
            "12345::",
            "ALLOWED_CALLER_CIDRS: '12345::' has IPv6 group '12345' with 5 hex digits, but a group has at most 4"
        ),
        (
            "fe8g::/16",
            "ALLOWED_CALLER_CIDRS: 'fe8g::/16' has IPv6 group 'fe8g', which is not hexadecimal"
        ),
        (
            "1:::2",
            "ALLOWED_CALLER_CIDRS: '1:::2' has an empty IPv6 group (a lone ':' at the start or end, or ':::'); "
                + "groups are 1 to 4 hex digits separated by ':'"
        ),
        (
            "1:2:3:4:5:6:7",
            "ALLOWED_CALLER_CIDRS: '1:2:3:4:5:6:7' has 7 groups, but an IPv6 address without '::' has exactly 8"
        ),
        (
            "1:2:3:4::5:6:7:8",
            "ALLOWED_CALLER_CIDRS: '1:2:3:4::5:6:7:8' has 8 groups besides '::', but '::' stands for at least "
                + "one zero group, so at most 7 are allowed"
        ),
        (
            "::1.2.3.4:5",
            "ALLOWED_CALLER_CIDRS: '::1.2.3.4:5' has a dotted IPv4 part that is not at the end; it may only "
                + "form the last 32 bits of an IPv6 address"
        ),
        (
            "fe80::1%eth0",
            "ALLOWED_CALLER_CIDRS: 'fe80::1%eth0' has a zone id ('%eth0'); zone ids name a local network "
                + "interface and cannot appear in an allow-list"
        ),
        (
            "[2001:db8::]/32",
            "ALLOWED_CALLER_CIDRS: '[2001:db8::]/32' has square brackets; write the IPv6 address without them, "
                + "e.g. 2001:db8::1"
        ),
        (
            "hello",
            "ALLOWED_CALLER_CIDRS: 'hello' is not an IPv4 or IPv6 address (host names are not allowed); "
                + "expected e.g. 203.0.113.0/24 or 2001:db8::/32"
        ),
        (
            "10.0.0.0/",
            "ALLOWED_CALLER_CIDRS: '10.0.0.0/' has no prefix length after '/'"
        ),
        (
            "/24",
            "ALLOWED_CALLER_CIDRS: '/24' has no address before '/'"
        ),
        (
            "10.0.0.0/-1",
            "ALLOWED_CALLER_CIDRS: '10.0.0.0/-1' has prefix length '-1', which is not a decimal number"
        ),
    ])
    func rejectsWithMessage(entry: String, message: String) {
        for text in [entry, "203.0.113.0/24, \(entry) 2001:db8::/32"] {
            let error = #expect(throws: AddressError.self) { try CallerAllowList.parse(text) }
            #expect(error?.description == message)
            #expect(error?.entry == entry)
        }
    }

    @Test func errorNamesTheVariable() {
        let error = #expect(throws: AddressError.self) {
            try CallerAllowList.parse("10.0.0.0/33", variable: "ADMIN_CIDRS")
        }
        #expect(
            error?.description == "ADMIN_CIDRS: '10.0.0.0/33' has prefix length 33, but an IPv4 prefix is at most 32")
    }

    @Test func hostBitsGiveWarnings() throws {
        let (list, warnings) = try CallerAllowList.parse("10.1.2.3/8, 192.0.2.0/24 2001:db8::1/32")
        #expect(list.description == "10.0.0.0/8,192.0.2.0/24,2001:db8::/32")
        #expect(
            warnings == [
                "ALLOWED_CALLER_CIDRS: '10.1.2.3/8' has host bits set; it is treated as 10.0.0.0/8",
                "ALLOWED_CALLER_CIDRS: '2001:db8::1/32' has host bits set; it is treated as 2001:db8::/32",
            ])
    }

    static let list = "203.0.113.0/24, 2001:db8::/32, 198.51.100.23"

    @Test(
        arguments: [
            ("203.0.113.10", true),
            ("203.0.113.0", true),
            ("203.0.113.255", true),
            ("203.0.114.0", false),
            ("::ffff:203.0.113.10", true),
            ("::ffff:203.0.114.10", false),
            ("2001:db8::1", true),
            ("2001:DB8:0::1", true),
            ("2001:db9::1", false),
            ("198.51.100.23", true),
            ("198.51.100.24", false),
            ("::1", false),
            ("127.0.0.1", false),
            (" 203.0.113.10\t", true),
            ("", false),
            ("garbage", false),
            ("203.0.113.010", false),
            ("[2001:db8::1]", false),
            ("2001:db8::1%eth0", false),
            ("203.0.113.10:443", false),
        ] as [(String, Bool)])
    func allows(callerIP: String, expected: Bool) throws {
        let (list, _) = try CallerAllowList.parse(Self.list)
        #expect(list.allows(callerIP) == expected)
    }

    @Test func unknownCallerIsDenied() throws {
        let (list, _) = try CallerAllowList.parse(Self.list)
        #expect(!list.allows(nil as String?))
    }

    @Test func emptyExplicitListDeniesEveryone() {
        let list = CallerAllowList(blocks: [])
        #expect(!list.isAllowAll)
        #expect(!list.allows("203.0.113.10"))
        #expect(list.description == "deny-all")
    }

    /// X-Forwarded-For is not the allow-list's business: the API takes only the caller IP (the TCP
    /// peer / `sourceIp`), and an XFF-shaped value passed by mistake is not an address, so it is denied.
    @Test func forwardedForIsNotConsulted() throws {
        let (list, _) = try CallerAllowList.parse("198.51.100.23")

        // The docs' example: judged as the source IP, whatever the header claims.
        let proxied = HTTPRequest(
            method: "POST", path: "/v1/chat/completions",
            headers: [HTTPHeader("x-forwarded-for", "203.0.113.10, 198.51.100.23")],
            callerIP: "198.51.100.23")
        #expect(list.allows(proxied.callerIP))

        let spoofed = HTTPRequest(
            method: "POST", path: "/v1/chat/completions",
            headers: [HTTPHeader("x-forwarded-for", "198.51.100.23")],
            callerIP: "203.0.113.99")
        #expect(!list.allows(spoofed.callerIP))

        #expect(!list.allows("198.51.100.23, 203.0.113.10"))
        #expect(!list.allows("203.0.113.10, 198.51.100.23"))
    }
}
