/// An IPv4 or IPv6 address.
///
/// Parsed by this file's own code rather than `inet_pton`, so the accepted syntax is exactly the one
/// documented here and is the same on every libc:
/// - IPv4: four dot-separated decimal octets 0–255. A leading zero (`010`) is rejected because some
///   parsers read it as octal; a lone `0` is fine.
/// - IPv6: eight groups of 1–4 hex digits (either case), at most one `::`, optionally ending in a
///   dotted IPv4 part (`::ffff:203.0.113.5`, `64:ff9b::1.2.3.4`). Zone ids (`%eth0`) and brackets
///   (`[::1]`) are rejected, not stripped.
package enum IPAddress: Sendable, Hashable {
    /// An IPv4 address; the first octet is the most significant byte.
    case v4(UInt32)
    /// An IPv6 address as two 64-bit halves; `high` holds the first four groups.
    case v6(high: UInt64, low: UInt64)

    /// Parses an address, or returns nil if the text is not exactly one address.
    /// - Parameter text: The address, with no surrounding whitespace.
    package init?(_ text: String) {
        guard let address = try? Self.parse(text.utf8.span) else { return nil }
        self = address
    }

    /// Parses an address, or returns nil if the text is not exactly one address.
    /// - Parameter text: The address, with no surrounding whitespace.
    package init?(_ text: Substring) {
        guard let address = try? Self.parse(text.utf8.span) else { return nil }
        self = address
    }

    /// Parses an address, saying what is wrong if it is not one.
    /// - Parameters:
    ///   - text: The address, with no surrounding whitespace.
    ///   - variable: Where the text came from, named in the error.
    /// - Throws: An ``AddressError`` naming `variable` and `text`.
    package init(parsing text: String, variable: String) throws(AddressError) {
        do {
            self = try Self.parse(text.utf8.span)
        } catch {
            throw AddressError(error.code, variable: variable, entry: text)
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2);
    /// nil for any other address, including plain IPv4.
    package var ipv4Mapped: IPAddress? {
        guard case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF else { return nil }
        return .v4(UInt32(truncatingIfNeeded: low))
    }

    /// The address a dual-stack socket would report for an IPv4 peer, unwrapped: the IPv4 address for
    /// an IPv4-mapped IPv6 address, otherwise the address itself.
    package var unmapped: IPAddress {
        ipv4Mapped ?? self
    }

    /// Whether this is an IPv4 address (not an IPv4-mapped IPv6 one).
    package var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }
}

// MARK: - Parsing

private let dot = UInt8(ascii: ".")
private let colon = UInt8(ascii: ":")

extension IPAddress {
    /// Parses one address from UTF-8; the thrown error carries only the code.
    static func parse(_ bytes: Span<UInt8>) throws(AddressError) -> IPAddress {
        guard !bytes.isEmpty else { throw AddressError(.empty) }
        var hasColon = false
        var hasDot = false
        var hasLetter = false
        var allDigits = true
        for index in bytes.indices {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "]"):
                throw AddressError(.bracketed)
            case UInt8(ascii: "%"):
                throw AddressError(.zoneID(text(bytes, index..<bytes.count)))
            case colon:
                hasColon = true
            case dot:
                hasDot = true
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                hasLetter = true
            default:
                break
            }
            if !isDigit(byte) { allDigits = false }
        }
        if hasColon { return try parseIPv6(bytes) }
        // Dotted text is judged as IPv4 (so `1.2.3` and `+1.2.3.4` get IPv4 messages), unless it looks
        // like a host name; a bare number is an IPv4 address with too few parts.
        let looksLikeHostName = hasLetter && !isDigit(bytes[0])
        if allDigits || (hasDot && !looksLikeHostName) {
            return .v4(try parseIPv4(bytes, 0..<bytes.count))
        }
        throw AddressError(.notAnAddress)
    }

    /// Parses dotted-decimal IPv4 in `range` of `bytes`.
    static func parseIPv4(_ bytes: Span<UInt8>, _ range: Range<Int>) throws(AddressError) -> UInt32 {
        var parts = 1
        for index in range where bytes[index] == dot {
            parts += 1
        }
        guard parts == 4 else { throw AddressError(.ipv4PartCount(parts)) }

        var value: UInt32 = 0
        var start = range.lowerBound
        while true {
            var end = start
            while end < range.upperBound, bytes[end] != dot {
                end += 1
            }
            value = value << 8 | UInt32(try parseOctet(bytes, start..<end))
            if end == range.upperBound { return value }
            start = end + 1
        }
    }

    private static func parseOctet(_ bytes: Span<UInt8>, _ range: Range<Int>) throws(AddressError) -> UInt8 {
        guard !range.isEmpty else { throw AddressError(.ipv4EmptyOctet) }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard isDigit(byte) else { throw AddressError(.ipv4OctetNotDecimal(text(bytes, range))) }
            if value <= 255 {  // stop accumulating once too large, so long inputs cannot overflow
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
        }
        if range.count > 1, bytes[range.lowerBound] == UInt8(ascii: "0") {
            throw AddressError(.ipv4OctetLeadingZero(text(bytes, range)))
        }
        guard let octet = UInt8(exactly: value) else {
            throw AddressError(.ipv4OctetTooLarge(text(bytes, range)))
        }
        return octet
    }

    /// Parses IPv6 text (RFC 4291 §2.2): groups, at most one `::`, an optional dotted IPv4 tail.
    private static func parseIPv6(_ bytes: Span<UInt8>) throws(AddressError) -> IPAddress {
        let count = bytes.count
        var groups = InlineArray<8, UInt16>(repeating: 0)
        var groupCount = 0
        var gap: Int?  // index in `groups` where `::` stands
        var index = 0

        func append(_ value: UInt16) throws(AddressError) {
            guard groupCount < 8 else {
                throw AddressError(gap == nil ? .ipv6GroupCount(groupCount + 1) : .ipv6TooManyGroups(groupCount + 1))
            }
            groups[groupCount] = value
            groupCount += 1
        }

        if count >= 2, bytes[0] == colon, bytes[1] == colon {
            gap = 0
            index = 2
        }
        while index < count {
            let start = index
            var end = start
            var hasDot = false
            while end < count, bytes[end] != colon {
                if bytes[end] == dot { hasDot = true }
                end += 1
            }
            if hasDot {
                guard end == count else { throw AddressError(.ipv6MisplacedIPv4) }
                let v4 = try parseIPv4(bytes, start..<end)
                try append(UInt16(truncatingIfNeeded: v4 >> 16))
                try append(UInt16(truncatingIfNeeded: v4))
                break
            }
            guard start < end else { throw AddressError(.ipv6EmptyGroup) }
            var value: UInt16 = 0
            for position in start..<end {
                guard let digit = hexValue(bytes[position]) else {
                    throw AddressError(.ipv6GroupNotHex(text(bytes, start..<end)))
                }
                value = value &<< 4 | UInt16(digit)
            }
            guard end - start <= 4 else { throw AddressError(.ipv6GroupTooLong(text(bytes, start..<end))) }
            try append(value)

            index = end
            if index == count { break }
            index += 1  // the ':' after the group
            if index < count, bytes[index] == colon {
                guard gap == nil else { throw AddressError(.ipv6MultipleDoubleColons) }
                gap = groupCount
                index += 1
            } else if index == count {
                throw AddressError(.ipv6EmptyGroup)  // a trailing single ':'
            }
        }

        var full = InlineArray<8, UInt16>(repeating: 0)
        if let gap {
            guard groupCount <= 7 else { throw AddressError(.ipv6TooManyGroups(groupCount)) }
            for position in 0..<gap {
                full[position] = groups[position]
            }
            let shift = 8 - groupCount
            for position in gap..<groupCount {
                full[position + shift] = groups[position]
            }
        } else {
            guard groupCount == 8 else { throw AddressError(.ipv6GroupCount(groupCount)) }
            full = groups
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for position in 0..<4 {
            high = high << 16 | UInt64(full[position])
            low = low << 16 | UInt64(full[position + 4])
        }
        return .v6(high: high, low: low)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The bytes in `range` as text, for error messages only. Ranges always end at ASCII separators,
    /// so multi-byte characters are never split.
    static func text(_ bytes: Span<UInt8>, _ range: Range<Int>) -> String {
        var piece: [UInt8] = []
        piece.reserveCapacity(range.count)
        for index in range {
            piece.append(bytes[index])
        }
        return String(decoding: piece, as: UTF8.self)
    }
}

// MARK: - Text form

extension IPAddress: CustomStringConvertible {
    /// The canonical text form: dotted decimal for IPv4; for IPv6 the RFC 5952 form (lower case, no
    /// leading zeros, the longest run of two or more zero groups written `::`, the first run on a tie),
    /// with IPv4-mapped addresses written `::ffff:a.b.c.d` as RFC 5952 §5 recommends.
    package var description: String {
        switch self {
        case .v4(let value):
            return Self.dottedDecimal(value)
        case .v6(let high, let low):
            if let mapped = ipv4Mapped, case .v4(let value) = mapped {
                return "::ffff:" + Self.dottedDecimal(value)
            }
            var groups = InlineArray<8, UInt16>(repeating: 0)
            for position in 0..<4 {
                groups[position] = UInt16(truncatingIfNeeded: high >> (48 - 16 * position))
                groups[position + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * position))
            }
            var bestStart = -1
            var bestLength = 1  // a run must be at least 2 groups long to be compressed
            var runStart = 0
            var runLength = 0
            for position in 0..<8 {
                if groups[position] == 0 {
                    if runLength == 0 { runStart = position }
                    runLength += 1
                    if runLength > bestLength {
                        bestStart = runStart
                        bestLength = runLength
                    }
                } else {
                    runLength = 0
                }
            }
            var result = ""
            var position = 0
            while position < 8 {
                if position == bestStart {
                    result += "::"
                    position += bestLength
                    continue
                }
                if position > 0, position != bestStart + bestLength {
                    result += ":"
                }
                result += String(groups[position], radix: 16)
                position += 1
            }
            return result
        }
    }

    private static func dottedDecimal(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
