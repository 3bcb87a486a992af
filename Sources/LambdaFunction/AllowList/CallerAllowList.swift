import ElizaHTTP

/// Which callers may use the function, judged by the caller's own IP address.
///
/// The caller IP is the TCP peer that connected (API Gateway's `sourceIp`, or the local server's peer),
/// never a header: `X-Forwarded-For` is whatever the client chose to send, so it has no say here and
/// this type does not accept it.
package struct CallerAllowList: Sendable, CustomStringConvertible {
    /// The environment variable that holds the list.
    package static let defaultVariable = "ALLOWED_CALLER_CIDRS"

    /// The list that allows every caller, what an unset or blank variable means.
    package static let allowAll = CallerAllowList(blocks: [], isAllowAll: true)

    /// The blocks a caller must fall into; empty for ``allowAll``.
    package let blocks: [CIDRBlock]
    /// Whether every caller is allowed (no list was configured).
    package let isAllowAll: Bool

    /// Creates a list allowing exactly the callers inside `blocks`; an empty array allows no one.
    /// - Parameter blocks: The allowed ranges.
    package init(blocks: [CIDRBlock]) {
        self.init(blocks: blocks, isAllowAll: false)
    }

    private init(blocks: [CIDRBlock], isAllowAll: Bool) {
        self.blocks = blocks
        self.isAllowAll = isAllowAll
    }

    /// Parses the value of `ALLOWED_CALLER_CIDRS`: CIDR blocks or single addresses, separated by commas
    /// and/or whitespace; empty entries between separators are ignored.
    ///
    /// Unset, empty or blank text means allow-all. Any bad entry throws, so a broken list fails closed
    /// (a start-up error) rather than allowing everyone.
    /// - Parameters:
    ///   - text: The variable's value, or nil when it is unset.
    ///   - variable: The variable's name, used in errors and warnings.
    /// - Returns: The list, and warnings to log (entries whose host bits were cleared).
    /// - Throws: An ``AddressError`` for the first bad entry.
    package static func parse(
        _ text: String?,
        variable: String = defaultVariable
    ) throws(AddressError) -> (list: CallerAllowList, warnings: [String]) {
        guard let text else { return (.allowAll, []) }
        let entries = text.split { $0 == "," || $0.isWhitespace }
        guard !entries.isEmpty else { return (.allowAll, []) }
        var blocks: [CIDRBlock] = []
        var warnings: [String] = []
        blocks.reserveCapacity(entries.count)
        for entry in entries {
            let (block, warning) = try CIDRBlock.parse(entry, variable: variable)
            blocks.append(block)
            if let warning { warnings.append(warning) }
        }
        return (CallerAllowList(blocks: blocks), warnings)
    }

    /// Whether a caller may use the function.
    ///
    /// Allow-all allows everyone, even an unknown caller. Otherwise a nil or unparseable caller IP is
    /// denied. Surrounding spaces and tabs are ignored; nothing else is stripped, so a
    /// comma-separated `X-Forwarded-For` value is not an address and is denied.
    /// - Parameter callerIP: The TCP peer's address as text, or nil when unknown.
    /// - Returns: true when the caller is allowed.
    package func allows(_ callerIP: String?) -> Bool {
        if isAllowAll { return true }
        guard let callerIP, let address = IPAddress(callerIP.trimmingBlanks) else { return false }
        return allows(address)
    }

    /// Whether a caller at `address` may use the function.
    /// - Parameter address: The TCP peer's address.
    /// - Returns: true when allow-all, or when some block contains the address.
    package func allows(_ address: IPAddress) -> Bool {
        if isAllowAll { return true }
        for block in blocks where block.contains(address) {
            return true
        }
        return false
    }

    /// `allow-all`, or the blocks in canonical form separated by commas, for the start-up log line.
    package var description: String {
        if isAllowAll { return "allow-all" }
        if blocks.isEmpty { return "deny-all" }
        return blocks.map(\.description).joined(separator: ",")
    }
}
