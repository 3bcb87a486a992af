import ElizaHTTP

/// A `text/event-stream` body, built whole (every route answers a stream in one buffered response),
/// with the framing each API's clients need: every event ends with a blank line; OpenAI chat and
/// legacy completions send `data:` lines only and end with `data: [DONE]`; the Responses API and
/// Anthropic Messages name each event with an `event:` line equal to its data's `type`, which the
/// anthropic SDK requires (../shared/docs/api-dialects.md, "Common").
package struct EventStream: Sendable {
    /// The body so far.
    package private(set) var bytes: [UInt8] = []

    package init(reservingCapacity capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// A stream of events already framed (chat completions build theirs to a size measured first).
    package init(framed: [UInt8]) {
        bytes = framed
    }

    /// Appends `data: <object>` and a blank line.
    /// - Parameter body: Writes the object's members.
    package mutating func data(_ body: (inout JSONText) -> Void) {
        Self.appendData(to: &bytes, body)
    }

    /// Appends `data: <object>` and a blank line to any buffer (chat completions measure their
    /// chunks in a scratch buffer before they build the stream).
    /// - Parameters:
    ///   - out: The buffer.
    ///   - body: Writes the object's members.
    package static func appendData(to out: inout [UInt8], _ body: (inout JSONText) -> Void) {
        var json = JSONText()
        body(&json)
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: json.finishUTF8())
        out.append(contentsOf: "\n\n".utf8)
    }

    /// `data: [DONE]` and a blank line.
    package static let done = Array("data: [DONE]\n\n".utf8)

    /// Appends `event: <type>`, then `data: {"type":<type>,…}` and a blank line.
    /// - Parameters:
    ///   - type: The event's name and its data's `type`.
    ///   - body: Writes the object's other members.
    package mutating func event(_ type: String, _ body: (inout JSONText) -> Void) {
        bytes.append(contentsOf: "event: ".utf8)
        bytes.append(contentsOf: type.utf8)
        bytes.append(UInt8(ascii: "\n"))
        data {
            $0.string("type", type)
            body(&$0)
        }
    }

    /// Appends `data: [DONE]` and a blank line: the end of an OpenAI chat or legacy completion stream.
    package mutating func done() {
        bytes.append(contentsOf: Self.done)
    }

    /// The 200 response carrying the stream.
    package var response: HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [HTTPHeader("content-type", "text/event-stream"), HTTPHeader("cache-control", "no-cache")],
            body: bytes)
    }
}
