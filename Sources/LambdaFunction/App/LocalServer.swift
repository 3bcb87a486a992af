import ElizaHTTP
import Synchronization

/// The local HTTP server `eliza-lambda` runs off Lambda: `ElizaAPI` behind `HTTPServer`, with the
/// server's own errors (malformed requests, timeouts, limits) rendered as OpenAI error objects.
package enum LocalServer {
    /// Creates the server for `configuration`; nothing is bound until `start()`.
    /// - Parameters:
    ///   - configuration: Host, port, body limit and timeouts.
    ///   - api: Answers every request.
    ///   - threadCount: Event-loop threads; default one per online CPU.
    /// - Returns: The server.
    package static func make(configuration: Configuration, api: ElizaAPI, threadCount: Int? = nil) -> HTTPServer {
        let limits = HTTPServerLimits(
            maxBodyBytes: configuration.maxBodyBytes, maxConnections: configuration.maxConnections,
            idleTimeout: .seconds(configuration.idleTimeoutSeconds),
            readTimeout: .seconds(configuration.readTimeoutSeconds))
        let counter = Atomic<Int>(0)
        let prefix = "local-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return HTTPServer(
            host: configuration.host, port: configuration.port, limits: limits, threadCount: threadCount,
            renderError: APIError.transportResponse,
            admit: { head in
                let n = counter.add(1, ordering: .relaxed).newValue
                return api.preflight(head, context: ElizaAPI.Context(requestId: "\(prefix)-\(n)"))
            }
        ) { request in
            let n = counter.add(1, ordering: .relaxed).newValue
            return api.respond(to: request, context: ElizaAPI.Context(requestId: "\(prefix)-\(n)"))
        }
    }
}
