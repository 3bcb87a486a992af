import ElizaHTTP
import Testing

@Suite struct CIDRBlockTests {
    @Test(arguments: [
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:DB8:0:0:0:0:0:0/64", "2001:db8::/64"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("::1", "::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::/0", "::/0"),
        ("192.0.2.7/32", "192.0.2.7/32"),
        ("2001:db8::1/128", "2001:db8::1/128"),
        ("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"),
    ])
    func parsesWithoutWarning(text: String, canonical: String) throws {
        let (block, warning) = try CIDRBlock.parse(text)
        #expect(block.description == canonical)
        #expect(warning == nil)
    }

    @Test(arguments: [
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("203.0.113.77/24", "203.0.113.0/24"),
        ("1.2.3.4/0", "0.0.0.0/0"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("2001:db8:1234:5678:9abc::/65", "2001:db8:1234:5678:8000::/65"),
        ("::1/0", "::/0"),
    ])
    func normalisesHostBitsWithWarning(text: String, canonical: String) throws {
        let (block, warning) = try CIDRBlock.parse(text, variable: "ALLOWED_CALLER_CIDRS")
        #expect(block.description == canonical)
        #expect(warning == "ALLOWED_CALLER_CIDRS: '\(text)' has host bits set; it is treated as \(canonical)")
    }

    @Test func warningNamesTheVariable() throws {
        let (_, warning) = try CIDRBlock.parse("10.1.2.3/8", variable: "OTHER_CIDRS")
        #expect(warning == "OTHER_CIDRS: '10.1.2.3/8' has host bits set; it is treated as 10.0.0.0/8")
    }

    @Test(arguments: [
        // First and last address of the block, and the neighbours just outside.
        ("203.0.113.0/24", "203.0.113.0", true),
        ("203.0.113.0/24", "203.0.113.255", true),
        ("203.0.113.0/24", "203.0.112.255", false),
        ("203.0.113.0/24", "203.0.114.0", false),
        ("10.0.0.0/8", "10.255.255.255", true),
        ("10.0.0.0/8", "9.255.255.255", false),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("192.0.2.7/32", "192.0.2.7", true),
        ("192.0.2.7/32", "192.0.2.6", false),
        ("192.0.2.7/32", "192.0.2.8", false),
        ("0.0.0.0/0", "0.0.0.0", true),
        ("0.0.0.0/0", "255.255.255.255", true),
        // IPv4 blocks match IPv4-mapped IPv6 addresses, in dotted or hex form, but no other IPv6.
        ("203.0.113.0/24", "::ffff:203.0.113.5", true),
        ("203.0.113.0/24", "::ffff:cb00:7105", true),
        ("203.0.113.0/24", "::ffff:203.0.114.5", false),
        ("203.0.113.0/24", "::203.0.113.5", false),
        ("203.0.113.0/24", "64:ff9b::203.0.113.5", false),
        ("0.0.0.0/0", "::ffff:1.2.3.4", true),
        ("0.0.0.0/0", "::1", false),
        ("0.0.0.0/0", "::", false),
        // IPv6 boundaries, including prefixes that cross the middle 64-bit boundary.
        ("2001:db8::/32", "2001:db8::", true),
        ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2001:db8::/32", "2001:db9::", false),
        ("2001:db8::/127", "2001:db8::1", true),
        ("2001:db8::/127", "2001:db8::2", false),
        ("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:0", true),
        ("2001:db8:0:0:8000::/65", "2001:db8::ffff:ffff:ffff:ffff", true),
        ("2001:db8:0:0:8000::/65", "2001:db8::7fff:ffff:ffff:ffff", false),
        ("2001:db8:0:0:8000::/65", "2001:db8:0:1::", false),
        ("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", true),
        ("2001:db8::/64", "2001:db8:0:1::", false),
        ("::1/128", "::1", true),
        ("::1/128", "::", false),
        ("::1/128", "::2", false),
        ("::/0", "::", true),
        ("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("::/0", "::ffff:1.2.3.4", true),
        // IPv6 blocks never match plain IPv4 addresses, not even the mapped range.
        ("::/0", "1.2.3.4", false),
        ("::ffff:0:0/96", "::ffff:1.2.3.4", true),
        ("::ffff:0:0/96", "1.2.3.4", false),
    ])
    func contains(block text: String, address: String, expected: Bool) throws {
        let (block, _) = try CIDRBlock.parse(text)
        let ip = try #require(IPAddress(address))
        #expect(block.contains(ip) == expected)
    }

    @Test(arguments: [
        (IPAddress.v4(0), 33),
        (.v4(0), -1),
        (.v6(high: 0, low: 0), 129),
        (.v6(high: 0, low: 0), -1),
    ])
    func initRejectsOutOfRangePrefix(address: IPAddress, prefixLength: Int) {
        #expect(CIDRBlock(address, prefixLength: prefixLength) == nil)
    }

    @Test func initClearsHostBits() {
        #expect(CIDRBlock(.v4(0x0A01_0203), prefixLength: 8)?.network == .v4(0x0A00_0000))
        #expect(CIDRBlock(.v6(high: ~0, low: ~0), prefixLength: 64)?.network == .v6(high: ~0, low: 0))
    }

    @Test(arguments: [
        ("10.0.0.1/33", AddressError.Code.prefixLengthTooLarge("33", maximum: 32)),
        ("2001:db8::/129", .prefixLengthTooLarge("129", maximum: 128)),
        ("10.0.0.0/99999999999999999999999", .prefixLengthTooLarge("99999999999999999999999", maximum: 32)),
        ("10.0.0.0/08", .prefixLengthLeadingZero("08")),
        ("10.0.0.0/00", .prefixLengthLeadingZero("00")),
        ("10.0.0.0/", .missingPrefixLength),
        ("/24", .missingAddress),
        ("/", .missingAddress),
        ("10.0.0.0/-1", .prefixLengthNotDecimal("-1")),
        ("10.0.0.0/+8", .prefixLengthNotDecimal("+8")),
        ("10.0.0.0/8/9", .prefixLengthNotDecimal("8/9")),
        ("10.0.0.0/0x8", .prefixLengthNotDecimal("0x8")),
        ("10.0.0/8", .ipv4PartCount(3)),
        ("fe80::%eth0/64", .zoneID("%eth0")),
    ])
    func rejects(text: String, code: AddressError.Code) {
        let error = #expect(throws: AddressError.self) { try CIDRBlock.parse(text, variable: "ALLOWED_CALLER_CIDRS") }
        #expect(error?.code == code)
        #expect(error?.entry == text)
        #expect(error?.variable == "ALLOWED_CALLER_CIDRS")
        let anonymous = #expect(throws: AddressError.self) { try CIDRBlock.parse(text) }
        #expect(anonymous?.variable == "")
        #expect(anonymous?.description.hasPrefix("'\(text)' ") == true)
    }
}
