"""The Lambda event fixtures and the statusCode each must get, shared by Tools/soak-lambda.py and
IntegrationTests/test_bootstrap.py, which both run the release bootstrap against a fake Runtime API
with ALLOWED_CALLER_CIDRS set to ALLOW."""
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "LambdaFunctionTests" / "Fixtures"
ALLOW = "203.0.113.0/24, 2001:db8::/32"

# A direct invocation (no HTTP envelope) is answered with the result itself, not a proxy response:
# see direct_answer_problem.
DIRECT = "direct"
FIXTURE_STATUS = {
    "http-api-v2-chat.json": 200, "http-api-v2-base64.json": 200, "http-api-v2-malformed-json.json": 400,
    "http-api-v2-missing-messages.json": 400, "http-api-v2-empty-body.json": 400, "http-api-v2-ipv6-caller.json": 200,
    "http-api-v2-disallowed-caller.json": 403, "http-api-v2-spoofed-xff.json": 403, "http-api-v2-stage-prefix.json": 200,
    "http-api-v2-models.json": 200, "http-api-v2-unknown-path.json": 404, "http-api-v2-wrong-method.json": 405,
    "http-api-v2-stream.json": 200, "rest-api-v1-chat.json": 200, "function-url-chat.json": 200,
    "http-api-v2-responses.json": 200, "http-api-v2-completions.json": 200, "http-api-v2-messages.json": 200,
    "unknown-event.json": 400, "direct-invocation.json": DIRECT, "http-api-v2-playground.json": 200,
}


def direct_answer_problem(answer, allowed: bool):
    """What is wrong with the parsed answer to direct-invocation.json, or None: the chat completion
    when ELIZA_ALLOW_DIRECT_INVOCATION=true (`allowed`), else (the default) only an OpenAI
    permission error naming the variable."""
    if not isinstance(answer, dict):
        return f"expected a JSON object: {answer!r:.300}"
    if allowed:
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if answer.get("object") != "chat.completion" or not content:
            return f"expected a chat completion: {answer!r:.300}"
        return None
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    if set(answer) != {"error"} or error.get("type") != "permission_error" \
            or "ELIZA_ALLOW_DIRECT_INVOCATION" not in error.get("message", ""):
        return f"expected the direct-invocation permission error: {answer!r:.300}"
    return None
