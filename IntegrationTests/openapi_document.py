"""docs/openapi.yaml as a checker of responses: finds the response object a (method, path, status)
answers to, and validates a response's content type, required headers and body against it.

The body of each media type is read as schemathesis reads it: JSON; YAML; a text/event-stream as its
events, each an object {"event", "data"} (an event without an `event:` line is a "message"), whose
`data` is checked against `contentSchema` when its `contentMediaType` is application/json; an
application/x-ndjson body (Ollama's streams) as its lines, each a JSON object. An AWS
binary event stream (application/vnd.amazon.eventstream, Bedrock) is read as its messages, each
{"headers", "payload"}, both CRC-32s checked; `payload` is checked as `data` is.

A recorded response (IntegrationTests/recorded.py writes them, and so does the Swift tests' support
under ELIZA_RECORD_RESPONSES) is a JSON file: {"source", "method", "path", "status", "headers",
"body_base64"}.
"""

import base64
import json
import re
import struct
import zlib
from pathlib import Path

import jsonschema
import referencing
import referencing.jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT_PATH = ROOT / "docs" / "openapi.yaml"
BASE = "urn:eliza-lambda:openapi"


def load(path=DOCUMENT_PATH):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _content_schema(validator, content_schema, instance, schema):
    """JSON Schema's contentSchema, asserted: the string must be JSON that the subschema accepts."""
    if schema.get("contentMediaType") != "application/json" or not isinstance(instance, str):
        return
    try:
        parsed = json.loads(instance)
    except ValueError as error:
        yield jsonschema.ValidationError(f"not JSON ({error}): {instance[:80]!r}")
        return
    yield from validator.descend(parsed, content_schema)


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"contentSchema": _content_schema})


def ndjson_lines(text):
    """The objects of an application/x-ndjson body (Ollama's streams), and its framing problems: every
    line ends with a newline, none is blank, each is JSON."""
    problems = []
    if not text.endswith("\n"):
        problems.append("an NDJSON body whose last line has no newline")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    instances = []
    for index, line in enumerate(lines):
        if not line:
            problems.append(f"[{index}] a blank line in an NDJSON stream")
            continue
        try:
            instances.append(json.loads(line))
        except ValueError:
            problems.append(f"[{index}] not JSON: {line[:80]!r}")
    if not instances:
        problems.append("an NDJSON stream without lines")
    return instances, problems


def pointer(*parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def sse_events(text):
    """The events of a text/event-stream body, as schemathesis parses them."""
    events = []
    for block in re.split(r"\r?\n\r?\n", text):
        fields = {}
        data = []
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            else:
                fields[name] = value
        if data:
            events.append({"data": "\n".join(data), "event": fields.get("event") or "message"})
    return events


EVENTSTREAM = "application/vnd.amazon.eventstream"


def aws_event_stream_messages(body):
    """The messages of an AWS event stream: ({"headers", "payload"} list, problems). String headers only
    (type 7), as Bedrock sends them; a message whose CRC fails or that breaks off is a problem."""
    messages, problems, start = [], [], 0
    while start < len(body):
        if len(body) - start < 16:
            return messages, problems + [f"a message breaks off at byte {start}"]
        total, headers_length, prelude_crc = struct.unpack(">III", body[start:start + 12])
        if zlib.crc32(body[start:start + 8]) != prelude_crc:
            return messages, problems + [f"the prelude CRC of the message at byte {start} is wrong"]
        if total < 16 + headers_length or start + total > len(body):
            return messages, problems + [f"the message at byte {start} breaks off"]
        end = start + total
        if zlib.crc32(body[start:end - 4]) != struct.unpack(">I", body[end - 4:end])[0]:
            problems.append(f"the message CRC of the message at byte {start} is wrong")
        headers, i = {}, start + 12
        while i < start + 12 + headers_length:
            name_length = body[i]
            name = body[i + 1:i + 1 + name_length].decode("utf-8")
            if body[i + 1 + name_length] != 7:
                return messages, problems + [f"header {name!r} is not a string"]
            value_length = struct.unpack(">H", body[i + 2 + name_length:i + 4 + name_length])[0]
            value_start = i + 4 + name_length
            headers[name] = body[value_start:value_start + value_length].decode("utf-8")
            i = value_start + value_length
        payload = body[start + 12 + headers_length:end - 4].decode("utf-8", errors="replace")
        messages.append({"headers": headers, "payload": payload})
        start = end
    return messages, problems


class Document:
    def __init__(self, path=DOCUMENT_PATH):
        self.spec = load(path)
        resource = referencing.Resource.from_contents(self.spec, default_specification=referencing.jsonschema.DRAFT202012)
        self.registry = referencing.Registry().with_resource(BASE, resource)

    def validate(self, instance, at):
        """Validates `instance` against the schema at JSON pointer `at` of the document; returns the errors."""
        validator = Validator({"$ref": BASE + "#" + at}, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in validator.iter_errors(instance)]

    def match(self, path):
        """(path template, path item) that `path` (no query) reaches, through a template or an alias."""
        for template, item in self.spec["paths"].items():
            for spelling in [template] + item.get("x-eliza-aliases", []):
                if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(spelling)), path):
                    return template, item
        return None, None

    def response_object(self, method, path, status):
        """(JSON pointer, response object) documented for the answer, following a $ref; raises if none."""
        path = path.split("?", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        template, item = self.match(path)
        if template is None or method.lower() not in item:
            # The allow-list is applied before routing: a caller it refuses gets 403 on any path.
            dialect = ("Anthropic" if re.match(r"(/v1)?/messages(/|$)", path)
                       else "Gemini" if re.match(r"/v1beta(/|$)", path) else "OpenAI")
            allowed = {403: dialect + "Forbidden"}
            allowed.update({404: "NotFound"} if template is None else {405: "MethodNotAllowed"})
            assert status in allowed, f"{method} {path}: not in the document, yet answered {status}"
            at = pointer("components", "responses", allowed[status])
        else:
            responses = item[method.lower()]["responses"]
            assert str(status) in responses, (
                f"{method} {template}: status {status} not documented (documented: {sorted(responses)})")
            at = pointer("paths", template, method.lower(), "responses", str(status))
        response = self.resolve(at)
        if "$ref" in response:
            at = response["$ref"][1:]
            response = self.resolve(at)
        return at, response

    def resolve(self, at):
        node = self.spec
        for part in at.split("/")[1:]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def check(self, method, path, status, headers, body):
        """The problems of one response (an empty list when it is as documented)."""
        headers = {k.lower(): v for k, v in headers.items()}
        at, response = self.response_object(method, path, status)
        problems = []
        for name, header in response.get("headers", {}).items():
            if header.get("required") and name.lower() not in headers:
                problems.append(f"header {name} is required")
        content = response.get("content")
        if not content or method.upper() == "HEAD":
            return problems
        media_type = headers.get("content-type", "").split(";")[0].strip()
        if media_type not in content:
            return problems + [f"content type {media_type!r} not documented (documented: {sorted(content)})"]
        schema_at = at + pointer("content", media_type, "schema")
        if media_type == EVENTSTREAM:
            instances, framing = aws_event_stream_messages(body)
            problems += framing
            if not instances:
                problems.append("an event stream without messages")
            for index, instance in enumerate(instances):
                problems += [f"[{index}] {error}" for error in self.validate(instance, schema_at)]
            return problems
        text = body.decode("utf-8")
        if media_type == "application/json":
            instances = [json.loads(text)]
        elif media_type == "application/yaml":
            instances = [yaml.safe_load(text)]
        elif media_type == "text/event-stream":
            instances = sse_events(text)
            # A stream resumed after its last event (GET /v1/responses/{id}?stream=true&starting_after=N)
            # rightly has none; any other stream has at least one.
            resumed = method.upper() == "GET" and re.search(r"[?&]starting_after=", path)
            if not instances and not resumed:
                problems.append("an event stream without events")
        elif media_type == "application/x-ndjson":
            instances, framing = ndjson_lines(text)
            problems += framing
        else:
            instances = [text]
        for index, instance in enumerate(instances):
            problems += [f"[{index}] {error}" for error in self.validate(instance, schema_at)]
        return problems

    def check_recorded(self, record):
        """The problems of a recorded response. Exempt, and only as far as the fault goes: a 200 to a
        request that asked for `malformed` (a JSON body that is not JSON, or a stream whose first event's
        data is not JSON) or `cut` (half a JSON body, or a stream whose events stop early: every complete
        event is still checked; the local server's cut is recorded `incomplete`, and a body that broke off
        without a cut asked for is a problem). A `drop` is never recorded locally (no response) and is a
        documented 502 on Lambda. When `times` let the attempt through, the body is whole and checked in
        full."""
        body = base64.b64decode(record["body_base64"])
        method, path, status, headers = record["method"], record["path"], record["status"], record["headers"]
        fault = record.get("fault") if status == 200 else None
        if record.get("incomplete") and fault != "cut":
            return ["the body broke off, yet the request asked for no cut"]
        media_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "").split(";")[0].strip()
        if fault in ("malformed", "cut") and media_type == "application/json":
            try:
                json.loads(body)
            except ValueError:
                # Broken on purpose: the status and content type must still be documented.
                _, response = self.response_object(method, path, status)
                return [] if media_type in (response.get("content") or {}) else [
                    f"content type {media_type!r} not documented"]
        problems = self.check(method, path, status, headers, body)
        if not problems or fault not in ("malformed", "cut"):
            return problems
        if media_type == EVENTSTREAM:
            # A cut sends whole messages, so only malformed's first payload is exempt.
            return [p for p in problems if not (fault == "malformed" and p.startswith("[0] ") and "not JSON" in p)]
        text = body.decode("utf-8")
        if media_type == "application/x-ndjson":
            if fault == "cut":
                # The lines before the cut, each whole, are checked as any stream's.
                whole = text[:text.rfind("\n") + 1]
                return self.check(method, path, status, headers, whole.encode()) if whole else problems
            # malformed: only the first line is not JSON.
            return [p for p in problems if not p.startswith("[0] not JSON")]
        if media_type != "text/event-stream":
            return problems
        if fault == "cut":
            # The events before the cut, each whole, are checked as any stream's.
            whole = text[:text.rfind("\n\n") + 2] if "\n\n" in text else ""
            return self.check(method, path, status, headers, whole.encode()) if whole else problems
        # malformed: only the first event's data is not JSON.
        return [p for p in problems if not (p.startswith("[0] ") and "not JSON" in p)]
