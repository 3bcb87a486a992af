import ElizaHTTP
import ElizaScriptCompiler
import ElizaVM

/// Scripts as the API serves them (issue 22): the inline `eliza.script` member every dialect reads,
/// `GET /v1/models/{id}/script` (a model's script text) and `POST /v1/scripts/check` (diagnostics).
extension ElizaAPI {
    /// The script that answers a request: its inline `eliza.script`, compiled within the request's
    /// budget, or the requested model's. The one seam every route takes to its script.
    /// - Parameters:
    ///   - model: The requested model.
    ///   - eliza: The request's `eliza` member.
    ///   - budget: The request's budget, charged with the compilation.
    /// - Returns: The script.
    /// - Throws: `APIError` 400 when inline scripts are off or the script has errors, 422 past a
    ///   compile limit (`RequestBudget.compile`).
    func script(for model: String, _ eliza: ElizaExtension, budget: inout RequestBudget) throws(APIError) -> Script {
        guard let text = eliza.script else { return catalog.script(for: model) }
        try checkInlineScriptsOn()
        return try budget.compile(text, field: ElizaExtension.scriptField)
    }

    /// The 400 of a server started with `ELIZA_INLINE_SCRIPTS=off`.
    func checkInlineScriptsOn(field: String = ElizaExtension.scriptField) throws(APIError) {
        guard configuration.inlineScripts else {
            throw APIError(
                .badRequest,
                "scripts sent with a request are turned off on this server (ELIZA_INLINE_SCRIPTS=off); use a model of GET /v1/models",
                param: field)
        }
    }

    /// `GET /v1/models/{id}/script`: the text of the script behind a model, as `text/plain`.
    func modelScript(id: String) -> HandledRequest {
        guard let model = catalog.model(id) else {
            let error = APIError(
                .notFound,
                "no model '\(id.prefix(utf8Bytes: 100))'; the models are \(catalog.models.map(\.id).joined(separator: ", "))"
            )
            return HandledRequest(response: error.response, errorMessage: error.message)
        }
        return HandledRequest(
            response: HTTPResponse(
                status: 200,
                headers: [
                    HTTPHeader("content-type", "text/plain; charset=utf-8"),
                    HTTPHeader("content-disposition", "inline; filename=\"\(model.script.name).eliza\""),
                ],
                body: Array(model.source.utf8)),
            model: model.id)
    }

    /// `POST /v1/scripts/check` with `{"script": "…"}`: every diagnostic, with its line and column, and
    /// when the script is clean its greeting. A script with errors is a 200 with `"ok": false`; the
    /// compile limits are a 422, as for an inline script.
    func checkScript(_ request: HTTPRequest) -> HandledRequest {
        serve(request, decode: ScriptCheckRequest.decode, model: { _ in "" }, simulate: { _ in nil }) {
            (body, budget) throws(APIError) in
            try checkInlineScriptsOn(field: "script")
            let compilation = try budget.check(body.script, field: "script")
            var json = JSONText(reservingCapacity: 256 + compilation.diagnostics.count * 160)
            json.string("object", "script.check")
            json.bool("ok", compilation.script != nil)
            if let script = compilation.script {
                json.string("greeting", script.greetingText)
                json.int("keywords", script.rules.count - 1)
            }
            json.int("work", compilation.work)
            json.array("diagnostics") { list in
                for diagnostic in compilation.diagnostics {
                    list.object {
                        $0.string("severity", diagnostic.severity.rawValue)
                        $0.int("line", diagnostic.location.line)
                        $0.int("column", diagnostic.location.column)
                        $0.string("message", diagnostic.message)
                        $0.string("text", diagnostic.description)
                    }
                }
            }
            return HandledRequest(response: try Self.admitted(Self.json(200, json.finishUTF8()), &budget))
        }
    }
}

/// A `POST /v1/scripts/check` body: `{"script": "<script text>"}`.
struct ScriptCheckRequest: Sendable, Equatable {
    var script: String

    static func decode(_ body: [UInt8]) throws(APIError) -> ScriptCheckRequest {
        try RequestBody.decode(body, expected: #"a JSON object such as {"script": "(HELLO) (NONE ((0) (HI)))"}"#) {
            (object) throws(JSONDecodingError) in
            ScriptCheckRequest(
                script: try object.require("script", "is required: the script's text in the 1966 format")
                    .string("must be a string holding a script in the 1966 format"))
        }
    }
}
