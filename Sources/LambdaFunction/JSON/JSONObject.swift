/// A JSON object of a `JSONDocument`: members looked up by name, or gone through in order.
///
/// A name that occurs more than once means its first member (as in `JSONDecoder`); members a decoder
/// does not ask for are never looked at, so unknown fields are ignored. The `optional…` accessors
/// treat an absent member and a `null` one alike, as `decodeIfPresent` does.
package struct JSONObject: Sendable {
    /// The object itself, as a value (for its path, or to report a problem with it as a whole).
    package let value: JSONValue

    /// The first member named `key`, `null` included; nil if there is none. A lookup goes through the
    /// members in order, so it costs at most the number of members.
    package subscript(key: String) -> JSONValue? {
        let document = value.document
        var member = value.index + 1
        let end = Int(document.tokens[value.index].next)
        while member + 1 < end {
            if document.stringEquals(member, key) { return JSONValue(document: document, index: member + 1) }
            member = Int(document.tokens[member + 1].next)
        }
        return nil
    }

    /// The member named `key`, or nil if it is absent or `null`.
    package func optional(_ key: String) -> JSONValue? {
        guard let member = self[key], !member.isNull else { return nil }
        return member
    }

    /// The member named `key` (which may be `null`).
    /// - Parameters:
    ///   - key: The member's name.
    ///   - problem: The error's wording when there is no such member.
    /// - Throws: `JSONDecodingError` at `path.key`.
    package func require(
        _ key: String, _ problem: @autoclosure () -> String = "is required"
    ) throws(JSONDecodingError) -> JSONValue {
        guard let member = self[key] else { throw invalid(key, problem()) }
        return member
    }

    /// An error at member `key` of this object, whether or not it is present.
    /// - Parameters:
    ///   - key: The member's name.
    ///   - problem: The end of the sentence whose subject is the member's path.
    /// - Returns: The error, to throw.
    package func invalid(_ key: String, _ problem: String) -> JSONDecodingError {
        JSONDecodingError(path: value.path.appending(key), problem)
    }

    /// The string member `key`.
    /// - Throws: `JSONDecodingError` if it is absent (`is required`) or not a string (`problem`).
    package func requireString(
        _ key: String, _ problem: @autoclosure () -> String = "must be a string"
    ) throws(JSONDecodingError) -> String {
        try require(key).string(problem())
    }

    /// The string member `key`; nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalString(
        _ key: String, _ problem: @autoclosure () -> String = "must be a string"
    ) throws(JSONDecodingError) -> String? {
        try optional(key)?.string(problem())
    }

    /// The Boolean member `key`; nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalBool(
        _ key: String, _ problem: @autoclosure () -> String = "must be true or false"
    ) throws(JSONDecodingError) -> Bool? {
        try optional(key)?.bool(problem())
    }

    /// The integer member `key` (exactly; see `JSONValue.int(_:)`); nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalInt(
        _ key: String, _ problem: @autoclosure () -> String = "must be an integer"
    ) throws(JSONDecodingError) -> Int? {
        try optional(key)?.int(problem())
    }

    /// The number member `key` (see `JSONValue.double(_:)`); nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalDouble(
        _ key: String, _ problem: @autoclosure () -> String = "must be a number"
    ) throws(JSONDecodingError) -> Double? {
        try optional(key)?.double(problem())
    }

    /// The object member `key`; nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalObject(
        _ key: String, _ problem: @autoclosure () -> String = "must be an object"
    ) throws(JSONDecodingError) -> JSONObject? {
        try optional(key)?.object(problem())
    }

    /// The array member `key`; nil if absent or `null`.
    /// - Throws: `JSONDecodingError` if it is something else.
    package func optionalArray(
        _ key: String, _ problem: @autoclosure () -> String = "must be an array"
    ) throws(JSONDecodingError) -> JSONArray? {
        try optional(key)?.array(problem())
    }

    /// Every member in document order, duplicates included: for objects used as dictionaries.
    package var members: Members { Members(object: self) }

    /// The members of an object, in document order.
    package struct Members: Sequence, Sendable {
        let object: JSONObject

        package func makeIterator() -> Iterator {
            Iterator(document: object.value.document, member: object.value.index + 1, end: Int(object.value.token.next))
        }

        package struct Iterator: IteratorProtocol {
            let document: JSONDocument
            var member: Int
            let end: Int

            package mutating func next() -> (key: String, value: JSONValue)? {
                guard member + 1 < end else { return nil }
                let key = document.string(at: member)
                let value = JSONValue(document: document, index: member + 1)
                member = Int(document.tokens[member + 1].next)
                return (key, value)
            }
        }
    }
}
