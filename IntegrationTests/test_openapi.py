"""docs/openapi.yaml is true.

- It is valid OpenAPI 3.1 (openapi-spec-validator) and served, byte for byte, at GET /openapi.yaml.
- schemathesis (pinned in requirements.txt) fuzzes the local server from it, bounded: a server without a
  key, and one with a key (every answer a documented 401 or an open route's). Its checks: no 5xx,
  response bodies (stream events included) match their schemas, every status and content type is
  documented. ELIZA_SCHEMATHESIS_SEED=N repeats a run; schemathesis prints the seed of each.
- Every response the Swift tests (APIHarness, the Lambda event tests) and the integration tests (httpx:
  the openai and anthropic SDKs, LiteLLM; the release bootstrap's proxy responses to API Gateway events)
  recorded under ELIZA_RECORD_RESPONSES validates against the document: test_every_recorded_response_is_as_documented, which Tools/test.sh runs after them with
  ELIZA_RECORDED_RESPONSES naming the directories.
Paths and methods against the routing table: Tests/LambdaFunctionTests/API/OpenAPIDocumentTests.swift.
"""

import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from local_server import Server
from openapi_document import DOCUMENT_PATH, Document

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def test_the_document_is_valid_openapi_3_1():
    spec, _ = read_from_filename(str(DOCUMENT_PATH))
    validate(spec)  # raises on any error
    assert spec["openapi"] == "3.1.0"


def test_it_is_served_as_the_file_without_a_key():
    server = Server({"ELIZA_API_KEY": "sk-openapi"})
    try:
        with urllib.request.urlopen(server.playground_url + "openapi.yaml", timeout=10) as response:
            assert response.headers["Content-Type"] == "application/yaml"
            assert response.read() == DOCUMENT_PATH.read_bytes()
        head = urllib.request.Request(server.playground_url + "openapi.yaml", method="HEAD")
        with urllib.request.urlopen(head, timeout=10) as response:
            assert response.status == 200 and response.read() == b""
    finally:
        server.stop()


def test_what_the_http_server_refuses_before_routing_is_documented():
    """The local server answers some requests before they reach a route (here a body over the limit,
    from its Content-Length): OpenAI-shaped on every path, /v1/messages too, as the document says."""
    import socket

    server = Server()
    port = int(server.base_url.split(":")[2].split("/")[0])
    try:
        for path in ("/v1/messages", "/v1/chat/completions"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   f"Content-Length: 99999999\r\n\r\n".encode())
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            status = int(head.split()[1])
            headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
            assert status == 413 and b'"invalid_request_error"' in body, answer
            assert Document().check("POST", path, status, headers, body) == []
    finally:
        server.stop()


def chat_response(**extra):
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "eliza",
            "system_fingerprint": "fp", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "IN WHAT WAY"},
                         "finish_reason": "stop", "logprobs": None}]}
    body.update(extra)
    return json.dumps(body).encode()


def test_the_response_checker_refuses_what_is_not_documented():
    """The checker the recorded responses go through can fail: each departure below is caught."""
    doc = Document()
    json_type = {"content-type": "application/json"}
    ok = doc.check("POST", "/v1/chat/completions", 200, json_type, chat_response())
    assert ok == []
    assert doc.check("POST", "/chat/completions", 200, json_type, chat_response()) == []
    assert "unexpected" in " ".join(doc.check("POST", "/v1/chat/completions", 200, json_type, chat_response(x=1)))
    assert doc.check("POST", "/v1/chat/completions", 200, {"content-type": "text/plain"}, b"x")
    chunk = json.loads(chat_response())
    chunk.update(object="chat.completion.chunk", choices=[{"index": 0, "delta": {}, "finish_reason": "done"}])
    del chunk["usage"]
    stream = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    problems = doc.check("POST", "/v1/chat/completions", 200, {"content-type": "text/event-stream"}, stream)
    assert any("finish_reason" in p for p in problems), problems
    assert doc.check("POST", "/v1/chat/completions", 200, {"content-type": "text/event-stream"},
                     stream.replace(b'"done"', b'"stop"')) == []
    anthropic_shape = b'{"type":"error","error":{"type":"invalid_request_error","message":"m"}}'
    assert doc.check("POST", "/v1/messages", 400, json_type, anthropic_shape) == []
    assert doc.check("POST", "/v1/chat/completions", 400, json_type, anthropic_shape)
    with pytest.raises(AssertionError, match="not documented"):
        doc.check("POST", "/v1/chat/completions", 404, json_type, b"{}")
    with pytest.raises(AssertionError, match="not in the document"):
        doc.check("GET", "/v1/engines", 200, json_type, b"{}")
    assert doc.check("PUT", "/v1/models", 405, json_type, b'{"error":{"message":"m","type":"method_not_allowed",'
                                                           b'"param":null,"code":"method_not_allowed"}}') \
        == ["header Allow is required"]
    sse = {"content-type": "text/event-stream"}
    assert doc.check("GET", "/v1/responses/resp_1?stream=true&starting_after=10", 200, sse, b"") == []
    assert doc.check("GET", "/v1/responses/resp_1?stream=true", 200, sse, b"") == ["an event stream without events"]
    assert doc.check("POST", "/v1/chat/completions", 200, sse, b"") == ["an event stream without events"]


def record(method, path, status, content_type, body, fault):
    return {"method": method, "path": path, "status": status, "headers": {"content-type": content_type},
            "body_base64": base64.b64encode(body).decode(), "fault": fault}


def test_only_bodies_broken_on_purpose_are_exempt():
    """A recorded 200 is exempt from its body's schema only as far as the fault the request asked for
    breaks it (recorded.asked_fault): malformed or cut JSON, a malformed first event, the events of a cut
    stream after its last whole one; nothing else."""
    doc = Document()
    half = chat_response()[:40]
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, "application/json", half, "cut")) == []
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, "application/json", b"{{", "malformed")) == []
    with pytest.raises(ValueError):
        doc.check_recorded(record("POST", "/v1/chat/completions", 200, "application/json", half, None))
    with pytest.raises(ValueError):
        doc.check_recorded(record("POST", "/v1/chat/completions", 200, "application/json", half, "rate_limit"))
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, "text/plain", half, "cut"))
    # A whole body to a request whose `times` let it through is checked in full.
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, "application/json",
                                     chat_response(x=1), "malformed"))
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "eliza", "system_fingerprint": "fp",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    good = f"data: {json.dumps(chunk)}\n\n".encode()
    stream = "text/event-stream"
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, stream, good + b'data: {"id": "chat', "cut")) == []
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, stream, good + b'data: {"id": "chat', None))
    bad = good.replace(b'"assistant"', b'"robot"')
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, stream, bad + b'data: {"id"', "cut"))
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, stream, b"data: {oops\n\n" + good,
                                     "malformed")) == []
    assert doc.check_recorded(record("POST", "/v1/chat/completions", 200, stream, good + b"data: {oops\n\n",
                                     "malformed"))


def test_a_spec_on_a_server_with_simulation_off_is_a_documented_400():
    """What the schemathesis runs below meet whenever they send a spec (they run with ELIZA_SIMULATION=off)."""
    server = Server({"ELIZA_SIMULATION": "off"})
    try:
        for path, body, headers in [
                ("/v1/chat/completions", {"model": "eliza@fault=server_error", "messages": [{"role": "user", "content": "Hi"}]}, {}),
                ("/v1/messages", {"model": "eliza", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]},
                 {"x-eliza-simulate": "fault=overloaded"}),
                ("/v1/responses", {"model": "eliza", "input": "Hi", "eliza": {"simulate": {"fault": "drop"}}}, {})]:
            request = urllib.request.Request(server.playground_url + path.lstrip("/"), data=json.dumps(body).encode(),
                                             headers={"content-type": "application/json", **headers}, method="POST")
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(request, timeout=10)
            answer = raised.value.read()
            assert raised.value.code == 400 and b"ELIZA_SIMULATION=off" in answer, answer
            assert Document().check("POST", path, 400, dict(raised.value.headers), answer) == []
    finally:
        server.stop()


# Simulation is off in these runs: a fault that a request asks for (schemathesis writes any header and
# any model name, `x-eliza-simulate: fault=server_error` or `eliza@fault=overloaded` among them) is not a
# server error of ours, and `not_a_server_error` would rightly fail it; a delay would stall the run. With
# ELIZA_SIMULATION=off every spec gets the documented 400 naming the setting, so every other check keeps
# its meaning, and the faults themselves are checked against the document through the responses
# IntegrationTests/test_failures.py and test_bootstrap.py record (test_every_recorded_response_is_as_documented).
@pytest.mark.parametrize("environment, examples", [({}, 50), ({"ELIZA_API_KEY": "sk-schemathesis"}, 5)],
                         ids=["open", "keyed"])
def test_schemathesis_finds_nothing(tmp_path, environment, examples):
    server = Server({**environment, "ELIZA_SIMULATION": "off"})
    try:
        command = [str(Path(sys.executable).parent / "st"), "run", str(DOCUMENT_PATH),
                   "--url", server.playground_url.rstrip("/"), "--checks", CHECKS,
                   "--max-examples", str(examples), "--workers", "1", "--request-timeout", "20",
                   "--generation-database", "none", "--no-color"]
        if os.environ.get("ELIZA_SCHEMATHESIS_SEED"):
            command += ["--seed", os.environ["ELIZA_SCHEMATHESIS_SEED"]]
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=280)
        output = result.stdout + result.stderr
        print(output[-3000:])
        assert result.returncode == 0, output[-20000:]
        generated = re.search(r"(\d+) generated, (\d+) passed", output)
        assert generated and generated.group(1) == generated.group(2), output[-3000:]
        operations = len([1 for item in Document().spec["paths"].values() for m in item if m in
                          ("get", "head", "post", "delete")])
        assert re.search(rf"Tested: {operations}\b", output), output[-3000:]
        assert int(generated.group(1)) >= operations * min(examples, 5)
        assert server.proc.poll() is None, "the server died"
    finally:
        server.stop()


def recorded_files():
    directories = [Path(d) for d in os.environ.get("ELIZA_RECORDED_RESPONSES", "").split(os.pathsep) if d]
    return directories, sorted(f for d in directories for f in d.glob("*.json"))


def test_every_recorded_response_is_as_documented():
    directories, files = recorded_files()
    if not directories:
        pytest.skip("ELIZA_RECORDED_RESPONSES names no directory (Tools/test.sh sets it after the tests record)")
    doc = Document()
    failures = []
    sources = {}
    for file in files:
        record = json.loads(file.read_text())
        sources[record["source"]] = sources.get(record["source"], 0) + 1
        try:
            problems = doc.check_recorded(record)
        except AssertionError as error:
            problems = [str(error)]
        if problems:
            body = base64.b64decode(record["body_base64"])[:300]
            failures.append(f"{file.name}: {record['method']} {record['path']} {record['status']}: {problems[:3]} {body!r}")
    print(f"{len(files)} recorded responses: {sources}")
    # Every kind of test recorded, and many each (the Swift suite records several hundred).
    assert sources.get("swift", 0) >= 200 and sources.get("python", 0) >= 50 and sources.get("lambda", 0) >= 10, sources
    assert not failures, f"{len(failures)} of {len(files)} responses are not as documented:\n" + "\n".join(failures[:40])
