/// A file of `Web/` compiled into the binary (the playground page and its icon): its bytes and the
/// headers it is served with. The values are generated at build time by `web-embed`
/// (Plugins/WebAssetPlugin) from the files themselves, never committed.
package struct WebAsset: Sendable {
    /// The `Content-Type` header value, e.g. `text/html; charset=utf-8`.
    package let contentType: String
    /// For a page, the `Content-Security-Policy` that admits exactly its own inline script and style.
    package let contentSecurityPolicy: String?
    /// The file's bytes, exactly as in the repository.
    package let bytes: [UInt8]

    /// Creates an asset; the generated code calls this.
    /// - Parameters:
    ///   - contentType: The media type.
    ///   - contentSecurityPolicy: The policy for a page; nil for other files.
    ///   - text: The file's text.
    package init(contentType: String, contentSecurityPolicy: String?, text: StaticString) {
        self.contentType = contentType
        self.contentSecurityPolicy = contentSecurityPolicy
        self.bytes = text.withUTF8Buffer { Array($0) }
    }
}
