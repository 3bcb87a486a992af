extension String {
    /// The longest prefix of the string that is at most `maxBytes` bytes of UTF-8, cut at a Unicode
    /// scalar boundary (so it is valid UTF-8).
    ///
    /// Bounds are in bytes because what costs is bytes: a log line or an error body is measured in
    /// bytes, and one character can be any number of them ("a" and 20,000 combining accents is one
    /// character of 40,001 bytes).
    /// - Parameter maxBytes: The most bytes the result may hold; 0 or less gives the empty string.
    /// - Returns: The string itself when it fits, else the cut prefix.
    package func prefix(utf8Bytes maxBytes: Int) -> String {
        let utf8 = self.utf8
        guard utf8.count > maxBytes else { return self }
        guard maxBytes > 0 else { return "" }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        // Step back over continuation bytes (10xxxxxx) to the start of the scalar that did not fit.
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) {
            end = utf8.index(before: end)
        }
        return String(Substring(utf8[..<end]))
    }
}
