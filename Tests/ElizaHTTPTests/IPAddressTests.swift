import ElizaHTTP
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", IPAddress.v4(0)),
        ("255.255.255.255", .v4(0xFFFF_FFFF)),
        ("203.0.113.5", .v4(0xCB00_7105)),
        ("10.0.0.1", .v4(0x0A00_0001)),
        ("1.2.3.4", .v4(0x0102_0304)),
        ("100.64.0.0", .v4(0x6440_0000)),
    ])
    func parsesIPv4(text: String, expected: IPAddress) {
        #expect(IPAddress(text) == expected)
        #expect(IPAddress(text)?.description == text)
    }

    @Test(arguments: [
        ("::", IPAddress.v6(high: 0, low: 0)),
        ("::1", .v6(high: 0, low: 1)),
        ("2001:db8::", .v6(high: 0x2001_0DB8_0000_0000, low: 0)),
        ("fe80::1:2", .v6(high: 0xFE80_0000_0000_0000, low: 0x0000_0000_0001_0002)),
        ("1:2:3:4:5:6:7:8", .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0008)),
        ("FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff", .v6(high: ~0, low: ~0)),
        ("::ffff:203.0.113.5", .v6(high: 0, low: 0x0000_FFFF_CB00_7105)),
        ("64:ff9b::1.2.3.4", .v6(high: 0x0064_FF9B_0000_0000, low: 0x0000_0000_0102_0304)),
        ("1:2:3:4:5:6:1.2.3.4", .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0102_0304)),
        ("1::", .v6(high: 0x0001_0000_0000_0000, low: 0)),
        ("1:2:3:4:5:6:7::", .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0000)),
        ("::2:3:4:5:6:7:8", .v6(high: 0x0000_0002_0003_0004, low: 0x0005_0006_0007_0008)),
    ])
    func parsesIPv6(text: String, expected: IPAddress) {
        #expect(IPAddress(text) == expected)
    }

    /// RFC 5952 §4: lower case, no leading zeros, the longest run of ≥2 zero groups as `::`, first on a
    /// tie; §5: IPv4-mapped addresses in dotted form.
    @Test(arguments: [
        ("::", "::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:db8::", "2001:db8::"),
        ("fe80::1:2", "fe80::1:2"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::0:1:0:0:0", "2001:db8:0:0:1::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("::ffff:203.0.113.5", "::ffff:203.0.113.5"),
        ("::FFFF:CB00:7105", "::ffff:203.0.113.5"),
        ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
        ("::1.2.3.4", "::102:304"),
        ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"),
    ])
    func canonicalIPv6Text(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(arguments: [
        ("::ffff:203.0.113.5", IPAddress.v4(0xCB00_7105) as IPAddress?),
        ("::ffff:cb00:7105", .v4(0xCB00_7105)),
        ("::ffff:0.0.0.0", .v4(0)),
        ("::1.2.3.4", nil),
        ("::fffe:1.2.3.4", nil),
        ("1::ffff:1.2.3.4", nil),
        ("64:ff9b::1.2.3.4", nil),
        ("1.2.3.4", nil),
    ])
    func ipv4Mapped(text: String, expected: IPAddress?) throws {
        let address = try #require(IPAddress(text))
        #expect(address.ipv4Mapped == expected)
        #expect(address.unmapped == expected ?? address)
    }

    @Test(arguments: [
        ("", AddressError.Code.empty),
        ("hello", .notAnAddress),
        ("example.com", .notAnAddress),
        ("*", .notAnAddress),
        ("[::1]", .bracketed),
        ("fe80::1%eth0", .zoneID("%eth0")),
        ("1.2.3", .ipv4PartCount(3)),
        ("1.2.3.4.5", .ipv4PartCount(5)),
        ("12", .ipv4PartCount(1)),
        ("1..2.3", .ipv4EmptyOctet),
        ("1.2.3.", .ipv4EmptyOctet),
        (".1.2.3", .ipv4EmptyOctet),
        ("+1.2.3.4", .ipv4OctetNotDecimal("+1")),
        ("1.2.3.-4", .ipv4OctetNotDecimal("-4")),
        ("1.2.3.4 ", .ipv4OctetNotDecimal("4 ")),
        ("0x1.2.3.4", .ipv4OctetNotDecimal("0x1")),
        ("010.1.1.1", .ipv4OctetLeadingZero("010")),
        ("1.2.3.00", .ipv4OctetLeadingZero("00")),
        ("256.1.1.1", .ipv4OctetTooLarge("256")),
        ("1.2.3.4444", .ipv4OctetTooLarge("4444")),
        ("1.2.3.99999999999999999999999", .ipv4OctetTooLarge("99999999999999999999999")),
        ("::1::", .ipv6MultipleDoubleColons),
        ("1::2::3", .ipv6MultipleDoubleColons),
        (":1::", .ipv6EmptyGroup),
        ("1:::2", .ipv6EmptyGroup),
        (":::", .ipv6EmptyGroup),
        ("1:2:3:4:5:6:7:", .ipv6EmptyGroup),
        ("fe8g::", .ipv6GroupNotHex("fe8g")),
        ("12345::", .ipv6GroupTooLong("12345")),
        ("1:2:3:4:5:6:7", .ipv6GroupCount(7)),
        ("1:2:3:4:5:6:7:8:9", .ipv6GroupCount(9)),
        ("1:2:3:4:5:6:7:1.2.3.4", .ipv6GroupCount(9)),
        ("1:2:3:4:5:6:7:8::", .ipv6TooManyGroups(8)),
        ("1:2:3:4::5:6:7:8", .ipv6TooManyGroups(8)),
        ("::1.2.3.4:5", .ipv6MisplacedIPv4),
        ("::ffff:1.2.3.256", .ipv4OctetTooLarge("256")),
        ("::ffff:1.2.3", .ipv4PartCount(3)),
    ])
    func rejects(text: String, code: AddressError.Code) {
        #expect(IPAddress(text) == nil)
        let error = #expect(throws: AddressError.self) { try IPAddress(parsing: text, variable: "TEST") }
        #expect(error?.code == code)
        #expect(error?.entry == text)
        #expect(error?.variable == "TEST")
    }

    @Test func parsesSubstrings() {
        let list = "10.0.0.1,::1"
        let parts = list.split(separator: ",")
        #expect(parts.map { IPAddress($0) } == [.v4(0x0A00_0001), .v6(high: 0, low: 1)])
    }

    /// Arbitrary short strings over the address alphabet never trap, and whatever parses round-trips
    /// through its canonical text.
    @Test func arbitraryTextNeverTraps() throws {
        let alphabet = Array("0123456789abcdefABCDEFx:.:.%/[] -+".utf8)
        var random = SplitMix64(seed: 0)
        func next() -> UInt64 { random.next() }
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int(next() % 24)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                bytes.append(alphabet[Int(next() % UInt64(alphabet.count))])
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let address = IPAddress(text) {
                parsed += 1
                #expect(IPAddress(address.description) == address, "\(text)")
            }
            _ = try? CIDRBlock.parse(text)
        }
        #expect(parsed > 0)
    }
}
