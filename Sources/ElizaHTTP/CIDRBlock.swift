/// A range of addresses written as a network address and a prefix length: `203.0.113.0/24`,
/// `2001:db8::/32`.
///
/// An IPv4 block also matches IPv4-mapped IPv6 addresses (`::ffff:203.0.113.5`), because a dual-stack
/// listener reports IPv4 peers that way. An IPv6 block never matches a plain IPv4 address, not even
/// `::ffff:0:0/96`: a list that means IPv4 ranges should say so in IPv4 syntax.
package struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    /// The network address; host bits are always zero.
    package let network: IPAddress
    /// The number of leading bits that must match: 0–32 for IPv4, 0–128 for IPv6.
    package let prefixLength: Int
    /// The prefix as a mask over the address bits; IPv4 uses the low 32 bits of `maskLow`.
    private let maskHigh: UInt64
    private let maskLow: UInt64

    /// Creates a block, clearing any host bits of `address`.
    /// - Parameters:
    ///   - address: Any address inside the block.
    ///   - prefixLength: 0–32 for IPv4, 0–128 for IPv6.
    /// - Returns: nil when `prefixLength` is out of range for the address family.
    package init?(_ address: IPAddress, prefixLength: Int) {
        switch address {
        case .v4(let value):
            guard (0...32).contains(prefixLength) else { return nil }
            let mask: UInt32 = prefixLength == 0 ? 0 : ~0 << (32 - prefixLength)
            network = .v4(value & mask)
            maskHigh = 0
            maskLow = UInt64(mask)
        case .v6(let high, let low):
            guard (0...128).contains(prefixLength) else { return nil }
            maskHigh = Self.mask(bits: min(prefixLength, 64))
            maskLow = Self.mask(bits: max(prefixLength - 64, 0))
            network = .v6(high: high & maskHigh, low: low & maskLow)
        }
        self.prefixLength = prefixLength
    }

    /// A 64-bit mask with the top `bits` (0–64) set.
    private static func mask(bits: Int) -> UInt64 {
        bits == 0 ? 0 : ~0 << (64 - bits)
    }

    /// Parses `address/prefix`, or a bare address meaning a single-address block (/32 or /128).
    ///
    /// The prefix length is decimal digits without leading zeros. An address with host bits set
    /// (`10.1.2.3/8`) is accepted and normalised to its network address, with a warning.
    /// - Parameters:
    ///   - text: One entry, without surrounding whitespace.
    ///   - variable: Where the entry came from, named in errors and warnings.
    /// - Returns: The block, and a warning to log when host bits were cleared.
    /// - Throws: An ``AddressError`` naming `variable` and `text`.
    package static func parse(
        _ text: Substring,
        variable: String = ""
    ) throws(AddressError) -> (block: CIDRBlock, warning: String?) {
        let block: CIDRBlock
        let hostBitsSet: Bool
        do {
            (block, hostBitsSet) = try parse(text.utf8.span)
        } catch {
            throw AddressError(error.code, variable: variable, entry: String(text))
        }
        let warning = hostBitsSet ? "\(variable): '\(text)' has host bits set; it is treated as \(block)" : nil
        return (block, warning)
    }

    /// Parses `address/prefix`, or a bare address, as the `Substring` overload does.
    /// - Parameters:
    ///   - text: One entry, without surrounding whitespace.
    ///   - variable: Where the entry came from, named in errors and warnings.
    /// - Returns: The block, and a warning to log when host bits were cleared.
    /// - Throws: An ``AddressError`` naming `variable` and `text`.
    package static func parse(
        _ text: String,
        variable: String = ""
    ) throws(AddressError) -> (block: CIDRBlock, warning: String?) {
        try parse(text[...], variable: variable)
    }

    private static func parse(_ bytes: Span<UInt8>) throws(AddressError) -> (CIDRBlock, hostBitsSet: Bool) {
        var slash = bytes.count
        for index in bytes.indices where bytes[index] == UInt8(ascii: "/") {
            slash = index
            break
        }
        guard slash > 0 || bytes.isEmpty else { throw AddressError(.missingAddress) }
        let address = try IPAddress.parse(bytes.extracting(0..<slash))
        let maximum = address.isIPv4 ? 32 : 128
        var prefixLength = maximum
        if slash < bytes.count {
            prefixLength = try parsePrefixLength(bytes, slash + 1..<bytes.count, maximum: maximum)
        }
        guard let block = CIDRBlock(address, prefixLength: prefixLength) else {
            throw AddressError(.prefixLengthTooLarge(String(prefixLength), maximum: maximum))
        }
        return (block, block.network != address)
    }

    private static func parsePrefixLength(
        _ bytes: Span<UInt8>,
        _ range: Range<Int>,
        maximum: Int
    ) throws(AddressError) -> Int {
        guard !range.isEmpty else { throw AddressError(.missingPrefixLength) }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw AddressError(.prefixLengthNotDecimal(IPAddress.text(bytes, range)))
            }
            if value <= maximum {  // stop accumulating once too large, so long inputs cannot overflow
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
        }
        if range.count > 1, bytes[range.lowerBound] == UInt8(ascii: "0") {
            throw AddressError(.prefixLengthLeadingZero(IPAddress.text(bytes, range)))
        }
        guard value <= maximum else {
            throw AddressError(.prefixLengthTooLarge(IPAddress.text(bytes, range), maximum: maximum))
        }
        return value
    }

    /// Whether `address` lies inside this block.
    ///
    /// An IPv4 block matches IPv4 addresses and IPv4-mapped IPv6 addresses; an IPv6 block matches only
    /// IPv6 addresses.
    /// - Parameter address: The address to test.
    /// - Returns: true when the address's first `prefixLength` bits equal the network's.
    package func contains(_ address: IPAddress) -> Bool {
        switch network {
        case .v4(let net):
            guard case .v4(let value) = address.unmapped else { return false }
            return value & UInt32(truncatingIfNeeded: maskLow) == net
        case .v6(let netHigh, let netLow):
            guard case .v6(let high, let low) = address else { return false }
            return high & maskHigh == netHigh && low & maskLow == netLow
        }
    }

    /// `network/prefixLength` in canonical form, e.g. `2001:db8::/32`.
    package var description: String {
        "\(network)/\(prefixLength)"
    }
}
