#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the transport failed: the server could not start, an HTTP exchange of the client failed, or a
/// system call under either did. The transport's one error type.
package struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Sendable, Equatable {
        /// The address is not a numeric IPv4 host (or `localhost`) with a port in range.
        case invalidAddress
        /// The server, or the termination-signal handlers, are already running.
        case alreadyRunning
        /// The client's method, path or a header would not make a valid request line or field.
        case invalidRequest
        /// Nothing listens at the address.
        case connectionRefused
        /// The server closed the connection before the response was complete.
        case connectionClosed
        /// The client's receive timeout passed first.
        case timeout
        /// The server's bytes are not an HTTP/1.x response (or exceed the client's size limits).
        case malformedResponse
        /// A system call failed (for example `bind`: address in use); see the message.
        case systemError
    }

    /// The kind of failure.
    package var code: Code
    /// What failed, for a person.
    package var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A failed system call, described by its name and `errno`'s text.
    /// - Parameters:
    ///   - call: The call, e.g. `bind`.
    ///   - errorNumber: The `errno` value; by default the current one.
    /// - Returns: A `.systemError`.
    package static func systemCall(_ call: String, _ errorNumber: Int32 = errno) -> HTTPError {
        HTTPError(.systemError, "\(call): \(errorText(errorNumber))")
    }

    /// Wraps an error with what was being done: `cannot listen on 127.0.0.1:80: bind: …`.
    /// - Parameter activity: What failed, e.g. `cannot listen on 127.0.0.1:80`.
    /// - Returns: The same code, the message prefixed.
    package func during(_ activity: String) -> HTTPError {
        HTTPError(code, "\(activity): \(message)")
    }

    /// The text of an `errno` value.
    package static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    package var description: String { message }
}
