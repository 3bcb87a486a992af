/// The 400s of every route that reads a JSON body, worded once.
extension APIError {
    /// A body that is not JSON: `the request body is not valid JSON: expected ',' or '}' after an
    /// object member, found ']' at line 1, column 17`; UTF-8 and depth get sentences of their own.
    /// - Parameters:
    ///   - error: What the reader found.
    ///   - subject: What the body is called: `the request body`, `the event`.
    package init(syntax error: JSONSyntaxError, subject: String) {
        switch error.code {
        case .invalidUTF8:
            self.init(.badRequest, "\(subject) is not valid UTF-8")
        case .tooDeep(let limit):
            self.init(.badRequest, "\(subject) nests arrays and objects more than \(limit) levels deep")
        default:
            self.init(.badRequest, "\(subject) is not valid JSON: \(error)")
        }
    }

    /// A body that is JSON but not what the route expects: `messages[2].content must be a string or
    /// a list of parts`, with `param` set to the path; at the root, `the request body must be a JSON object`.
    /// - Parameters:
    ///   - error: Where and what.
    ///   - subject: What the body is called, for problems with the body as a whole.
    package init(decoding error: JSONDecodingError, subject: String) {
        if error.path.isEmpty {
            self.init(.badRequest, "\(subject) \(error.problem)")
        } else {
            let path = error.path.description
            self.init(.badRequest, "\(path) \(error.problem)", param: path)
        }
    }
}
