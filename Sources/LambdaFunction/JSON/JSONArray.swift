/// A JSON array of a `JSONDocument`: its elements in order (`for element in array`, `enumerated()`).
package struct JSONArray: Sequence, Sendable {
    /// The array itself, as a value (for its path, or to report a problem with it as a whole).
    package let value: JSONValue

    /// Whether the array has no elements.
    package var isEmpty: Bool { value.index + 1 >= Int(value.token.next) }

    /// The number of elements; counting them walks the array.
    package var count: Int {
        var count = 0
        for _ in self { count += 1 }
        return count
    }

    package func makeIterator() -> Iterator {
        Iterator(document: value.document, element: value.index + 1, end: Int(value.token.next))
    }

    package struct Iterator: IteratorProtocol {
        let document: JSONDocument
        var element: Int
        let end: Int

        package mutating func next() -> JSONValue? {
            guard element < end else { return nil }
            let value = JSONValue(document: document, index: element)
            element = Int(document.tokens[element].next)
            return value
        }
    }
}
