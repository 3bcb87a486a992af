/// A request's path and query, percent-decoded (RFC 3986 §2.1), as every transport hands them to
/// the routes: the local server from the request line, the Lambda event adapters from API Gateway's
/// fields.
///
/// The rules, the same for every transport:
/// - `%` must be followed by two hex digits; decoded bytes must be UTF-8; control characters
///   (U+0000–U+001F, U+007F: NUL above all) are refused. Each is a 400 naming the part.
/// - The path is split at `/` before it is decoded, so an encoded slash (`%2F`) stays inside its
///   segment: `/v1/responses/a%2Fb` has the segments `v1`, `responses`, `a/b`, and can never route
///   like `/v1/responses/a/b`. Routes match `pathSegments`. (Refusing `%2F` outright was the other
///   choice; it would refuse the ids that need it, such as the ARNs botocore sends as Bedrock model
///   ids, which encode their `/`.) `path` joins the decoded segments, for logs and messages only.
/// - The query follows `application/x-www-form-urlencoded` (WHATWG URL §5.1): pairs separated by
///   `&`, empty pieces skipped, name and value split at the first `=` (no `=`: an empty value), `+`
///   a space. In the path `+` is itself.
/// - Bounds: on the local server the request-line limit (414) bounds both before they are decoded;
///   in a Lambda event, the event's size (API Gateway's request limits) does.
package struct HTTPRequestTarget: Sendable, Equatable {
    /// The path, its segments decoded and joined by `/`; `*` for `OPTIONS *`. For logs and messages:
    /// route on `pathSegments`, where an encoded `/` is told apart.
    package private(set) var path: String
    /// The decoded segments after the leading `/`: `/` is `[""]`, `/a/b/` is `["a", "b", ""]`.
    package private(set) var pathSegments: [String]
    /// The query as it arrived, without the `?`; empty when there is none.
    package private(set) var query: String
    /// The query's decoded pairs, in order; a repeated name appears as often as it was sent.
    package private(set) var queryItems: [HTTPQueryItem]

    /// Why a target was refused: always a 400.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, for a person: `invalid percent escape in the request path`.
        package var message: String
        package var description: String { message }

        package init(message: String) {
            self.message = message
        }
    }

    /// A target from a path that is already decoded and split at every `/`, and no query: what
    /// tests build, and the shape of API Gateway HTTP API paths (see `LambdaEvent`).
    /// - Parameter decodedPath: The path, e.g. `/v1/chat/completions`.
    package init(decodedPath: String) {
        path = decodedPath
        pathSegments = Self.split(decodedPath)
        query = ""
        queryItems = []
    }

    /// Decodes a path and query as they arrive on the wire (percent-encoded).
    /// - Parameters:
    ///   - encodedPath: The path, e.g. `/v1/models/gpt-4o%402024`, or `*`.
    ///   - query: The query without its `?`; empty when there is none.
    /// - Throws: `Invalid` for a bad escape, bytes that are not UTF-8, or a control character.
    package init(encodedPath: some Collection<UInt8>, query: some Collection<UInt8>) throws(Invalid) {
        guard encodedPath.first == UInt8(ascii: "/") else {
            let whole = try Self.decode(encodedPath, plusIsSpace: false, part: "path")
            try self.init(path: whole, pathSegments: [whole], encodedQuery: query)
            return
        }
        var segments: [String] = []
        for piece in encodedPath.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            segments.append(try Self.decode(piece, plusIsSpace: false, part: "path"))
        }
        try self.init(path: "/" + segments.joined(separator: "/"), pathSegments: segments, encodedQuery: query)
    }

    /// A target whose path is already decoded (split at every `/`: an encoded slash is lost before
    /// it reaches us) and whose query arrives on the wire.
    /// - Parameters:
    ///   - decodedPath: The decoded path.
    ///   - query: The query without its `?`, percent-encoded.
    /// - Throws: `Invalid` for a control character in the path, or a bad query.
    package init(decodedPath: String, query: some Collection<UInt8>) throws(Invalid) {
        guard !decodedPath.unicodeScalars.contains(where: Self.isControl) else {
            throw Invalid(message: "control character in the request path")
        }
        try self.init(path: decodedPath, pathSegments: Self.split(decodedPath), encodedQuery: query)
    }

    /// The same path with a query that arrives decoded, as pairs (API Gateway REST API events);
    /// `query` is made from them, form-encoded.
    /// - Parameter items: The decoded pairs, in order.
    /// - Returns: The target with that query.
    /// - Throws: `Invalid` for a control character in a pair.
    package func replacingQuery(with items: [HTTPQueryItem]) throws(Invalid) -> HTTPRequestTarget {
        for item in items
        where item.name.unicodeScalars.contains(where: Self.isControl)
            || item.value.unicodeScalars.contains(where: Self.isControl)
        {
            throw Invalid(message: "control character in the request query")
        }
        var target = self
        target.queryItems = items
        target.query = items.map { Self.formEncode($0.name) + "=" + Self.formEncode($0.value) }.joined(separator: "&")
        return target
    }

    private init(path: String, pathSegments: [String], encodedQuery: some Collection<UInt8>) throws(Invalid) {
        self.path = path
        self.pathSegments = pathSegments
        var items: [HTTPQueryItem] = []
        for piece in encodedQuery.split(separator: UInt8(ascii: "&")) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let name = try Self.decode(piece[..<(equals ?? piece.endIndex)], plusIsSpace: true, part: "query")
            var value = ""
            if let equals {
                value = try Self.decode(piece[piece.index(after: equals)...], plusIsSpace: true, part: "query")
            }
            items.append(HTTPQueryItem(name, value))
        }
        queryItems = items
        query = String(decoding: encodedQuery, as: UTF8.self)
    }

    /// The value of the first query pair with this name (compared exactly); nil if there is none.
    package func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// `/a/b` → `["a", "b"]`; a path not starting with `/` (`*`) is one segment.
    private static func split(_ path: String) -> [String] {
        guard path.hasPrefix("/") else { return [path] }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    /// Percent-decodes one segment, name or value.
    private static func decode(
        _ bytes: some Collection<UInt8>, plusIsSpace: Bool, part: String
    ) throws(Invalid) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            var byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "%") {
                guard index != bytes.endIndex, let high = hexValue(bytes[index]) else {
                    throw Invalid(message: "invalid percent escape in the request \(part)")
                }
                bytes.formIndex(after: &index)
                guard index != bytes.endIndex, let low = hexValue(bytes[index]) else {
                    throw Invalid(message: "invalid percent escape in the request \(part)")
                }
                bytes.formIndex(after: &index)
                byte = high << 4 | low
            } else if byte == UInt8(ascii: "+") && plusIsSpace {
                byte = HTTPSyntax.space
            }
            decoded.append(byte)
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw Invalid(message: "the request \(part) does not decode to UTF-8")
        }
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw Invalid(message: "control character in the request \(part)")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }

    /// `application/x-www-form-urlencoded` encoding: unreserved bytes as they are, space as `+`, the
    /// rest as `%XX`.
    private static func formEncode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case HTTPSyntax.space:
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One decoded `name=value` pair of a query.
package struct HTTPQueryItem: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
