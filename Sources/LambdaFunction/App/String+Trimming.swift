extension StringProtocol {
    /// The text without leading and trailing ASCII blanks (space, tab, CR, LF): how configuration values
    /// and the caller IP a transport reports are read, so a value pasted with a newline still parses.
    /// The HTTP parser trims field values by its own grammar (OWS, `HTTPSyntax.trimmingWhitespace`).
    var trimmingBlanks: SubSequence {
        func isBlank(_ character: Character) -> Bool {
            character == " " || character == "\t" || character == "\n" || character == "\r" || character == "\r\n"
        }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
