import ElizaHTTP

/// The Runtime API over HTTP/1.1 on a POSIX socket (URLSession needs libcurl, which Lambda lacks).
/// `/next` is a long poll, so the client has no receive timeout.
struct RuntimeHTTPTransport: LambdaRuntime.Transport {
    let client: HTTPClient

    mutating func send(method: String, path: String, headers: [HTTPHeader], body: [UInt8]) throws -> HTTPResponse {
        try client.send(method: method, path: path, headers: headers, body: body)
    }

    mutating func send(method: String, path: String, headers: [HTTPHeader], chunked body: HTTPChunkedBody) throws
        -> HTTPResponse
    {
        try client.send(method: method, path: path, headers: headers, chunked: body)
    }
}
