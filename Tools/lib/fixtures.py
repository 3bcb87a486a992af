"""The Lambda event fixtures and the statusCode each must get, shared by Tools/soak-lambda.py and
IntegrationTests/test_bootstrap.py, which both run the release bootstrap against a fake Runtime API
with ALLOWED_CALLER_CIDRS set to ALLOW."""
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "LambdaFunctionTests" / "Fixtures"
ALLOW = "203.0.113.0/24, 2001:db8::/32"

# None: a direct invocation, answered with the chat completion itself rather than a proxy response.
FIXTURE_STATUS = {
    "http-api-v2-chat.json": 200, "http-api-v2-base64.json": 200, "http-api-v2-malformed-json.json": 400,
    "http-api-v2-missing-messages.json": 400, "http-api-v2-empty-body.json": 400, "http-api-v2-ipv6-caller.json": 200,
    "http-api-v2-disallowed-caller.json": 403, "http-api-v2-spoofed-xff.json": 403, "http-api-v2-stage-prefix.json": 200,
    "http-api-v2-models.json": 200, "http-api-v2-unknown-path.json": 404, "http-api-v2-wrong-method.json": 405,
    "http-api-v2-stream.json": 200, "rest-api-v1-chat.json": 200, "function-url-chat.json": 200,
    "unknown-event.json": 400, "direct-invocation.json": None, "http-api-v2-playground.json": 200,
}
