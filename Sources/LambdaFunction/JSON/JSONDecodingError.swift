/// A JSON value that is not what a decoder expected: where it is, and what it should have been.
///
/// The `problem` is the end of a sentence whose subject is the path, as the OpenAI API words its
/// errors: `messages[2].content` + `must be a string or a list of parts`. Each route decides what
/// to call the root (`the request body …`) and how to answer (`APIError(decoding:subject:)`).
package struct JSONDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    package var path: DecodingPath
    /// `must be a string`, `is required`, `must be at least 1`…
    package var problem: String

    package init(path: DecodingPath, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `messages[2].content must be a string or a list of parts`; just the problem at the root.
    package var description: String {
        path.isEmpty ? problem : "\(path) \(problem)"
    }
}
