/// A request body sent with the chunked transfer coding: chunks written as they fall due, then
/// trailer fields (RFC 9112 §7.1.2), such as the Lambda Runtime API's error trailers on a streamed
/// response.
package struct HTTPChunkedBody: Sendable, Equatable {
    /// The body in order, each piece due `delayMilliseconds` after the previous one was written.
    package var chunks: [HTTPResponseSchedule.Part]
    /// Fields sent after the last chunk; declare them in a `trailer` header field.
    package var trailers: [HTTPHeader]

    package init(chunks: [HTTPResponseSchedule.Part], trailers: [HTTPHeader] = []) {
        self.chunks = chunks
        self.trailers = trailers
    }
}
