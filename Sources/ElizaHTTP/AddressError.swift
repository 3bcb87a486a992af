/// Why an address or a CIDR block (an allow-list entry, say) was rejected: what is wrong, in which
/// variable, in which entry. Thrown at start-up, so a broken list stops the function instead of
/// silently allowing everyone.
package struct AddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the entry; associated text is the offending piece, as written.
    package enum Code: Sendable, Equatable {
        /// The text is empty.
        case empty
        /// Neither IPv4 nor IPv6 syntax (for example a host name).
        case notAnAddress
        /// `[...]` around an address; brackets belong in URLs, not in address lists.
        case bracketed
        /// An IPv6 zone id such as `%eth0` (the text from `%` on).
        case zoneID(String)
        /// An IPv4 address with other than four dot-separated parts (the count found).
        case ipv4PartCount(Int)
        /// Two dots in a row, or a dot at the start or end.
        case ipv4EmptyOctet
        /// An octet with characters other than the digits 0–9.
        case ipv4OctetNotDecimal(String)
        /// An octet such as `010`, which some parsers read as octal.
        case ipv4OctetLeadingZero(String)
        /// An octet above 255.
        case ipv4OctetTooLarge(String)
        /// More than one `::`.
        case ipv6MultipleDoubleColons
        /// An empty group: a lone `:` at the start or end, or `:::`.
        case ipv6EmptyGroup
        /// A group with characters other than hex digits.
        case ipv6GroupNotHex(String)
        /// A group of more than four hex digits.
        case ipv6GroupTooLong(String)
        /// Without `::`, a group count other than eight (an IPv4 tail counts as two).
        case ipv6GroupCount(Int)
        /// With `::`, eight or more groups besides it, so `::` would stand for nothing.
        case ipv6TooManyGroups(Int)
        /// A dotted IPv4 part that is not the last thing in an IPv6 address.
        case ipv6MisplacedIPv4
        /// `/` with nothing before it.
        case missingAddress
        /// `/` with nothing after it.
        case missingPrefixLength
        /// A prefix length that is not plain decimal digits (for example `-1` or `8/9`).
        case prefixLengthNotDecimal(String)
        /// A prefix length such as `08`.
        case prefixLengthLeadingZero(String)
        /// A prefix length above the family's maximum (32 for IPv4, 128 for IPv6).
        case prefixLengthTooLarge(String, maximum: Int)
    }

    /// What is wrong.
    package var code: Code
    /// The environment variable (or other source) the entry came from, e.g. `ALLOWED_CALLER_CIDRS`.
    package var variable: String
    /// The whole offending entry, as written.
    package var entry: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - variable: The variable the entry came from.
    ///   - entry: The offending entry.
    package init(_ code: Code, variable: String = "", entry: String = "") {
        self.code = code
        self.variable = variable
        self.entry = entry
    }

    /// `VARIABLE: 'entry' <what is wrong>`, one line, no final period.
    package var description: String {
        let subject = variable.isEmpty ? "'\(entry)'" : "\(variable): '\(entry)'"
        return "\(subject) \(problem)"
    }

    /// The part of the message after the quoted entry.
    var problem: String {
        switch code {
        case .empty:
            return "is empty; expected an IPv4 or IPv6 address"
        case .notAnAddress:
            return "is not an IPv4 or IPv6 address (host names are not allowed); "
                + "expected e.g. 203.0.113.0/24 or 2001:db8::/32"
        case .bracketed:
            return "has square brackets; write the IPv6 address without them, e.g. 2001:db8::1"
        case .zoneID(let zone):
            return "has a zone id ('\(zone)'); zone ids name a local network interface and cannot appear "
                + "in an allow-list"
        case .ipv4PartCount(let count):
            return "has \(count) dot-separated part\(count == 1 ? "" : "s"), but an IPv4 address has exactly 4"
        case .ipv4EmptyOctet:
            return "has an empty octet; an IPv4 address is four decimal numbers separated by single dots"
        case .ipv4OctetNotDecimal(let octet):
            return "has octet '\(octet)', which is not a decimal number"
        case .ipv4OctetLeadingZero(let octet):
            return "has octet '\(octet)' with a leading zero, which is ambiguous (octal or decimal?); "
                + "write it without leading zeros"
        case .ipv4OctetTooLarge(let octet):
            return "has octet \(octet), but an IPv4 octet is at most 255"
        case .ipv6MultipleDoubleColons:
            return "uses '::' more than once, but an IPv6 address may compress only one run of zero groups"
        case .ipv6EmptyGroup:
            return "has an empty IPv6 group (a lone ':' at the start or end, or ':::'); "
                + "groups are 1 to 4 hex digits separated by ':'"
        case .ipv6GroupNotHex(let group):
            return "has IPv6 group '\(group)', which is not hexadecimal"
        case .ipv6GroupTooLong(let group):
            return "has IPv6 group '\(group)' with \(group.utf8.count) hex digits, but a group has at most 4"
        case .ipv6GroupCount(let count):
            return "has \(count) group\(count == 1 ? "" : "s"), but an IPv6 address without '::' has exactly 8"
        case .ipv6TooManyGroups(let count):
            return "has \(count) groups besides '::', but '::' stands for at least one zero group, "
                + "so at most 7 are allowed"
        case .ipv6MisplacedIPv4:
            return "has a dotted IPv4 part that is not at the end; it may only form the last 32 bits "
                + "of an IPv6 address"
        case .missingAddress:
            return "has no address before '/'"
        case .missingPrefixLength:
            return "has no prefix length after '/'"
        case .prefixLengthNotDecimal(let prefix):
            return "has prefix length '\(prefix)', which is not a decimal number"
        case .prefixLengthLeadingZero(let prefix):
            return "has prefix length '\(prefix)' with a leading zero; write it without leading zeros"
        case .prefixLengthTooLarge(let prefix, let maximum):
            let family = maximum == 32 ? "IPv4" : "IPv6"
            return "has prefix length \(prefix), but an \(family) prefix is at most \(maximum)"
        }
    }
}
