import ElizaHTTP
import ElizaWeb

/// The browser playground (docs/api.md, "The playground"): `GET /` serves `Web/playground.html`, compiled
/// into the binary, and `GET /favicon.ico` its icon. Neither needs the API key (the page's own API
/// calls do); the caller allow-list applies to them as to every route. `GET /openapi.yaml`, the API's
/// OpenAPI document, is compiled in and served the same way.
enum PlaygroundPage {
    /// The page: HTML whose Content-Security-Policy admits only this origin and the page's own inline
    /// script and style (by hash), so it can load nothing from anywhere else.
    static var page: HTTPResponse { response(for: .playground) }

    /// The icon, an SVG (browsers take any image type at `/favicon.ico`).
    static var icon: HTTPResponse { response(for: .favicon) }

    /// `docs/openapi.yaml`, the description of every route (`GET /openapi.yaml`), which the page links to.
    static var openAPIDocument: HTTPResponse { response(for: .openapi) }

    static func response(for asset: WebAsset) -> HTTPResponse {
        var headers = [
            HTTPHeader("content-type", asset.contentType),
            HTTPHeader("cache-control", "no-cache"),
            HTTPHeader("x-content-type-options", "nosniff"),
        ]
        if let policy = asset.contentSecurityPolicy {
            headers.append(HTTPHeader("content-security-policy", policy))
            headers.append(HTTPHeader("referrer-policy", "no-referrer"))
        }
        return HTTPResponse(status: 200, headers: headers, body: asset.bytes)
    }
}
