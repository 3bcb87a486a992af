"""Under ELIZA_RECORD_RESPONSES=DIR, every response the integration tests receive over httpx or httpx2
(the openai and anthropic SDKs, LiteLLM's SDK) from a server that local_server.Server started, and every
proxy response the release bootstrap posts to test_bootstrap.py's fake Runtime API, is written to DIR,
one JSON file each, for IntegrationTests/test_openapi.py to validate against docs/openapi.yaml.

The transport reads the body whole before handing the response on, so streaming clients see the same
bytes, only at once; a body that breaks off (a simulated `cut`) is recorded as far as it came, marked
`incomplete`, and the client gets those bytes and then the transport's error, as it would have."""

import base64
import itertools
import json
import os
from pathlib import Path

DIRECTORY = os.environ.get("ELIZA_RECORD_RESPONSES")
PORTS = set()
"""The ports of the servers local_server.Server started in this process."""

_counter = itertools.count()


def asked_fault(headers, body):
    """The simulated fault a request asked for (docs/failures.md, "The spec": the member eliza.simulate
    wins over the header x-eliza-simulate, which wins over the model's @ suffix), or None. Recorded so
    that the OpenAPI check can tell a body broken on purpose (malformed, cut) from a broken one."""
    def from_text(text):
        pairs = dict(part.partition("=")[::2] for part in text.split(",") if "=" in part)
        return pairs.get("fault")
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        member = (parsed.get("eliza") or {}).get("simulate") if isinstance(parsed.get("eliza"), dict) else None
        if isinstance(member, dict):
            return member.get("fault")
    header = {k.lower(): v for k, v in headers.items()}.get("x-eliza-simulate")
    if header is not None:
        return from_text(header)
    model = parsed.get("model") if isinstance(parsed, dict) else None
    if isinstance(model, str) and "@" in model:
        return from_text(model.split("@", 1)[1])
    return None


def write(source, method, path, status, headers, body, fault=None, incomplete=False):
    directory = Path(DIRECTORY)
    directory.mkdir(parents=True, exist_ok=True)
    record = {"source": source, "method": method, "path": path, "status": status,
              "headers": {k.lower(): v for k, v in headers.items()},
              "body_base64": base64.b64encode(body).decode(), "fault": fault, "incomplete": incomplete}
    name = f"{source}-{os.getpid()}-{next(_counter)}.json"
    (directory / name).write_text(json.dumps(record))


def write_lambda(event, answer):
    """Records the response the release bootstrap posted to the fake Runtime API for an API Gateway or
    Function URL event (IntegrationTests/test_bootstrap.py), at the path the function routed (the stage
    prefix taken off, as the function does). Other invocations (direct, malformed) are not recorded."""
    if not DIRECTORY or not event:
        return
    try:
        event, answer = json.loads(event), json.loads(answer)
    except ValueError:
        return
    if not isinstance(event, dict) or not isinstance(answer, dict) or "statusCode" not in answer:
        return
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        method, path = context["http"]["method"], event.get("rawPath") or context["http"]["path"]
        stage = context.get("stage")
        if stage and stage != "$default" and (path == "/" + stage or path.startswith(f"/{stage}/")):
            path = path[len(stage) + 1:] or "/"
    elif "httpMethod" in event:
        method, path = event["httpMethod"], event["path"]
    else:
        return
    headers = dict(answer.get("headers") or {})
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, values[0])
    body = answer.get("body") or ""
    body = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    request_body = event.get("body") or ""
    request_body = base64.b64decode(request_body) if event.get("isBase64Encoded") else request_body.encode()
    fault = asked_fault(event.get("headers") or {}, request_body)
    write("lambda", method, path, answer["statusCode"], headers, body, fault)


def _ours(url):
    return url.host == "127.0.0.1" and url.port in PORTS


def install():
    """Wraps the transports of httpx and of httpx2 (the fork the openai and anthropic SDKs use) so that
    they record; nothing happens without ELIZA_RECORD_RESPONSES."""
    if not DIRECTORY:
        return
    import importlib

    for name in ("httpx", "httpx2"):
        try:
            _wrap(importlib.import_module(name))
        except ImportError:
            pass


def _wrap(httpx):
    handle, handle_async = httpx.HTTPTransport.handle_request, httpx.AsyncHTTPTransport.handle_async_request

    class Replay(httpx.SyncByteStream, httpx.AsyncByteStream):
        """The bytes that arrived, then the error the transport raised (a cut stream, asked for): the
        client sees the break where it happened, only after the bytes read before it."""

        def __init__(self, chunks, error):
            self.chunks, self.error = chunks, error

        def __iter__(self):
            yield from self.chunks
            if self.error is not None:
                raise self.error

        async def __aiter__(self):
            for chunk in self.chunks:
                yield chunk
            if self.error is not None:
                raise self.error

    def recorded(request, response, chunks, error):
        body = b"".join(chunks)
        write("python", request.method, request.url.raw_path.decode(), response.status_code, response.headers, body,
              asked_fault(request.headers, request.content), incomplete=error is not None)
        stream = Replay(chunks, error) if error is not None else httpx.ByteStream(body)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream,
                              extensions=response.extensions, request=request)

    def handle_request(self, request):
        response = handle(self, request)
        if not _ours(request.url):
            return response
        chunks, error = [], None
        try:
            for chunk in response.stream:
                chunks.append(chunk)
        except httpx.TransportError as raised:
            error = raised
        finally:
            response.close()
        return recorded(request, response, chunks, error)

    async def handle_async_request(self, request):
        response = await handle_async(self, request)
        if not _ours(request.url):
            return response
        chunks, error = [], None
        try:
            async for chunk in response.stream:
                chunks.append(chunk)
        except httpx.TransportError as raised:
            error = raised
        finally:
            await response.aclose()
        return recorded(request, response, chunks, error)

    httpx.HTTPTransport.handle_request = handle_request
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request
