/// What the local HTTP server accepts from a client, and for how long it waits. Every limit is checked
/// before the bytes it guards are buffered, so one client cannot make the server hold more than
/// `maxHeaderBytes + maxBodyBytes` (plus one read) for it.
package struct HTTPServerLimits: Sendable, Equatable {
    /// Longest request line (`METHOD target HTTP/1.1`, without CRLF); longer → 414.
    package var maxRequestLineBytes: Int
    /// Longest header section (request line, header fields and the blank line); longer → 431.
    package var maxHeaderBytes: Int
    /// Largest `Content-Length` accepted; larger → 413, answered from the header alone.
    package var maxBodyBytes: Int
    /// Most connections open at once across all threads; further ones are answered 503 and closed.
    package var maxConnections: Int
    /// How long a keep-alive connection may sit without a request before it is closed.
    package var idleTimeout: Duration
    /// How long a request may take from its first byte to its last before it is answered 408 and
    /// closed; also how long a response may wait for a client that does not read it.
    package var readTimeout: Duration

    /// Creates limits; the defaults suit a chat-completions endpoint.
    /// - Parameters:
    ///   - maxRequestLineBytes: Longest request line, default 8 KiB.
    ///   - maxHeaderBytes: Longest header section, default 16 KiB.
    ///   - maxBodyBytes: Largest body, default 1 MiB.
    ///   - maxConnections: Most open connections, default 4096.
    ///   - idleTimeout: Keep-alive idle time, default 60 s.
    ///   - readTimeout: Time to receive one whole request, default 10 s.
    package init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 1024 * 1024,
        maxConnections: Int = 4096,
        idleTimeout: Duration = .seconds(60),
        readTimeout: Duration = .seconds(10)
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `0...Int64.max` (negative durations count as 0).
    package var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? .max : max(0, sum)
    }
}
