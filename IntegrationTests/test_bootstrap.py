"""The real release `bootstrap` (built by `make lambda`) against a fake Lambda Runtime API on 127.0.0.1.

Checks what provided.al2023 needs: a static binary (no NEEDED entry, so no glibc newer than AL2023's
2.34 can be required), a zip under 6 MB with `bootstrap` mode 755 at its root, an init error naming
the variable for bad configuration, correct answers to the recorded event fixtures, and the issue's
hostile requests inside API Gateway events answered with a whole 4xx while the process lives on.
"""

import base64
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import recorded

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_DIR = ROOT / ".build" / "lambda"
BOOTSTRAP = Path(os.environ.get("ELIZA_BOOTSTRAP", LAMBDA_DIR / "bootstrap"))

sys.path.insert(0, str(ROOT / "Tools" / "lib"))
from fixtures import ALLOW, DIRECT, FIXTURE_STATUS, FIXTURES, direct_answer_problem  # noqa: E402


@pytest.fixture(scope="module")
def bootstrap():
    assert BOOTSTRAP.exists(), f"{BOOTSTRAP} is missing: run `make lambda` first (Tools/test.sh does)"
    return BOOTSTRAP


def test_bootstrap_is_static(bootstrap):
    dynamic = subprocess.run(["readelf", "-d", str(bootstrap)], capture_output=True, text=True, check=True).stdout
    assert "NEEDED" not in dynamic, "bootstrap has dynamic dependencies:\n" + dynamic
    symbols = subprocess.run(["objdump", "-T", str(bootstrap)], capture_output=True, text=True).stdout
    versions = {tuple(int(x) for x in v.split("_")[1].split(".")) for v in symbols.split() if v.startswith("GLIBC_2.")}
    assert all(v <= (2, 34) for v in versions), f"needs glibc newer than Amazon Linux 2023's 2.34: {sorted(versions)}"


def test_zip_is_small_with_an_executable_bootstrap_at_the_root(bootstrap):
    archive = LAMBDA_DIR / "bootstrap.zip"
    assert archive.stat().st_size <= 6 * 1024 * 1024, f"bootstrap.zip is {archive.stat().st_size} bytes"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert names == ["bootstrap"]
        mode = (z.getinfo("bootstrap").external_attr >> 16) & 0o777
        assert mode == 0o755


class StreamedPost:
    """A chunked POST to the Runtime API taken apart as it arrived: its headers, each chunk with the
    monotonic time it arrived, and the trailer fields (Lambda's response-streaming protocol)."""

    def __init__(self, headers, chunks, trailers, started):
        self.headers = headers
        self.chunks = chunks
        self.trailers = trailers
        self.started = started

    @classmethod
    def read(cls, headers, stream):
        started = time.monotonic()
        chunks, trailers = [], {}
        while True:
            size = int(stream.readline().split(b";")[0].strip(), 16)
            if size == 0:
                break
            chunk = stream.read(size)
            assert stream.readline() == b"\r\n", "a chunk must end with CRLF"
            chunks.append((time.monotonic(), chunk))
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            trailers[name.strip().lower()] = value.strip()
        return cls({k.lower(): v for k, v in headers.items()}, chunks, trailers, started)

    @property
    def body(self):
        return b"".join(chunk for _, chunk in self.chunks)

    def prelude_and_payload(self):
        """The prelude's JSON and the payload after the 8 NUL bytes, which come within 16 KB."""
        end = self.body.index(b"\0" * 8)
        assert end < 16 * 1024
        return json.loads(self.body[:end]), self.body[end + 8:]

    def trailer_error(self):
        """The error the trailers report: its type and the decoded JSON body (None when none)."""
        if "lambda-runtime-function-error-type" not in self.trailers:
            return None
        body = base64.b64decode(self.trailers["lambda-runtime-function-error-body"])
        return self.trailers["lambda-runtime-function-error-type"], json.loads(body)


class FakeRuntimeAPI:
    """Runtime API 2018-06-01: hands out events on /next and records every answer."""

    def __init__(self, events, deadlines=None):
        self.pending = queue.Queue()
        for event in events:
            self.pending.put(event)
        # Milliseconds from /next to each request id's deadline (default 10 s).
        self.deadlines = deadlines or {}
        self.answers = {}
        self.served = {}
        self.errors = {}
        # Request id -> StreamedPost, for every chunked POST (a streamed response or a timed error).
        self.streams = {}
        self.init_errors = []
        self.next_calls = []
        self.done = threading.Event()
        runtime = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self.reply(404)
                runtime.next_calls.append(time.monotonic())
                try:
                    request_id, event = runtime.pending.get(timeout=30)
                except queue.Empty:
                    return self.reply(500)
                if request_id is None:
                    runtime.done.set()
                    # Hold the long poll until the test ends.
                    time.sleep(30)
                    return self.reply(500)
                runtime.served[request_id] = event
                deadline = int(time.time() * 1000) + runtime.deadlines.get(request_id, 10_000)
                self.reply(200, event, [("Lambda-Runtime-Aws-Request-Id", request_id),
                                        ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                                        ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:eliza"),
                                        ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")])

            def do_POST(self):
                parts = self.path.split("/")
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    streamed = StreamedPost.read(self.headers, self.rfile)
                    body = b"".join(chunk for _, chunk in streamed.chunks)
                    if len(parts) == 6:
                        runtime.streams[parts[4]] = streamed
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/2018-06-01/runtime/init/error":
                    runtime.init_errors.append((dict(self.headers), json.loads(body)))
                elif len(parts) == 6 and parts[4] in runtime.answers:
                    return self.reply(400)
                elif len(parts) == 6 and parts[5] == "response":
                    runtime.answers[parts[4]] = body
                    recorded.write_lambda(runtime.served.get(parts[4]), body)
                elif len(parts) == 6 and parts[5] == "error":
                    runtime.errors[parts[4]] = json.loads(body)
                else:
                    return self.reply(404)
                self.reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_bootstrap(bootstrap, runtime, extra_env=None, wait=20):
    env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": runtime.address, "ALLOWED_CALLER_CIDRS": ALLOW,
           "AWS_LAMBDA_FUNCTION_NAME": "eliza", "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    env.update(extra_env or {})
    start = time.monotonic()
    proc = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, start


# The fixtures answered with a proxy response; the direct invocation is checked on its own below.
EXPECTED = {name: status for name, status in FIXTURE_STATUS.items() if status != DIRECT}


def test_answers_every_fixture(bootstrap):
    names = sorted(EXPECTED) + ["direct-invocation.json"]
    events = [(f"req-{i:03d}-{name.split('.')[0]}", (FIXTURES / name).read_bytes()) for i, name in enumerate(names)]
    runtime = FakeRuntimeAPI(events + [(None, b"")])
    proc, start = run_bootstrap(bootstrap, runtime)
    try:
        assert runtime.done.wait(30), "the bootstrap did not come back for the next event"
        first_next = runtime.next_calls[0] - start
        print(f"\nstart to first /next: {first_next * 1000:.1f} ms")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        runtime.close()
    assert set(runtime.answers) == {request_id for request_id, _ in events}, "one response per request id"
    assert not runtime.errors
    by_name = {request_id.split("-", 2)[2]: json.loads(runtime.answers[request_id]) for request_id, _ in events}
    for name, status in EXPECTED.items():
        answer = by_name[name.split(".")[0]]
        assert answer["statusCode"] == status, (name, answer)
        assert isinstance(answer["body"], str) and answer["isBase64Encoded"] is False
        assert all(isinstance(v, str) for v in answer["headers"].values())
        if status >= 400:
            error = json.loads(answer["body"])["error"]
            assert error["message"] and error["type"]
    chat = json.loads(by_name["http-api-v2-chat"]["body"])
    assert chat["choices"][0]["message"]["content"] == "IN WHAT WAY"
    # The playground page (GET / through the HTTP API), byte for byte the file, with its policy.
    page = by_name["http-api-v2-playground"]
    assert page["headers"]["content-type"] == "text/html; charset=utf-8"
    assert page["headers"]["content-security-policy"].startswith("default-src 'self'; script-src 'sha256-")
    assert page["body"] == (ROOT / "Web" / "playground.html").read_text()
    stream = by_name["http-api-v2-stream"]
    assert stream["headers"]["content-type"] == "text/event-stream"
    assert stream["body"].endswith("data: [DONE]\n\n")
    # The other API routes through the same adapter; Lambda keeps no responses.
    responses = json.loads(by_name["http-api-v2-responses"]["body"])
    assert responses["output"][0]["content"][0]["text"] == "IN WHAT WAY" and responses["store"] is False
    assert json.loads(by_name["http-api-v2-messages"]["body"])["content"] == [{"type": "text", "text": "IN WHAT WAY"}]
    assert json.loads(by_name["http-api-v2-completions"]["body"])["choices"][0]["text"] == "IN WHAT"
    # ELIZA_ALLOW_DIRECT_INVOCATION is unset: a direct invocation is refused, whatever it holds.
    assert direct_answer_problem(by_name["direct-invocation"], allowed=False) is None
    # Logs: one JSON object per stdout line, each carrying Lambda's request id; denials say why.
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    requests = [line for line in lines if line["message"] in ("request", "request denied")]
    assert len(requests) >= len(EXPECTED) - 1
    assert all(line["requestId"].startswith("req-") for line in requests)
    assert all("timestamp" in line and "level" in line for line in lines)
    denied = [line for line in requests if line["status"] == 403]
    assert len(denied) == 3 and all(line.get("reason") for line in denied)
    (direct,) = [line for line in denied if line["requestId"].endswith("direct-invocation")]
    assert direct["message"] == "request denied" and "ELIZA_ALLOW_DIRECT_INVOCATION" in direct["reason"]
    assert direct["callerIp"] is None
    spoofed = [line for line in denied if line["requestId"].endswith("spoofed-xff")]
    assert len(spoofed) == 1
    assert spoofed[0]["forwardedFor"].startswith("203.0.113.") and not spoofed[0]["callerIp"].startswith("203.0.113.")


def answer_direct_invocation(bootstrap, setting):
    """The direct-invocation fixture through the bootstrap with ELIZA_ALLOW_DIRECT_INVOCATION=setting
    (the template's AllowDirectInvocation values): the parsed answer and the request's log line."""
    runtime, lines = run_fixtures(bootstrap, ["direct-invocation.json"], {"ELIZA_ALLOW_DIRECT_INVOCATION": setting})
    (request_id,) = runtime.answers
    assert not runtime.errors and not runtime.init_errors
    (logged,) = [json.loads(line) for line in lines if request_id in line]
    return json.loads(runtime.answers[request_id]), logged


def test_direct_invocation_when_allowed_gets_the_completion(bootstrap):
    answer, logged = answer_direct_invocation(bootstrap, "true")
    assert direct_answer_problem(answer, allowed=True) is None
    assert answer["choices"][0]["message"]["content"] == "WHAT MAKES YOU THINK I AM AFRAID OF YOU"
    assert (logged["message"], logged["status"]) == ("request", 200)


def test_direct_invocation_when_not_allowed_is_denied(bootstrap):
    answer, logged = answer_direct_invocation(bootstrap, "false")
    assert direct_answer_problem(answer, allowed=False) is None
    assert (logged["message"], logged["status"], logged["level"]) == ("request denied", 403, "WARN")
    assert "ELIZA_ALLOW_DIRECT_INVOCATION" in logged["reason"]


@pytest.mark.parametrize("environment,named,value", [
    ({"ALLOWED_CALLER_CIDRS": "10.0.0.0/8, 300.1.2.3/32"}, "ALLOWED_CALLER_CIDRS", "300.1.2.3"),
    ({"ELIZA_ALLOW_DIRECT_INVOCATION": "yes"}, "ELIZA_ALLOW_DIRECT_INVOCATION", "'yes'"),
    ({"ELIZA_RESPONSE_MODE": "stream"}, "ELIZA_RESPONSE_MODE", "'stream'"),
])
def test_bad_configuration_is_an_init_error_naming_the_variable(bootstrap, environment, named, value):
    runtime = FakeRuntimeAPI([])
    proc, _ = run_bootstrap(bootstrap, runtime, environment)
    try:
        code = proc.wait(timeout=20)
    finally:
        runtime.close()
    assert code != 0
    assert len(runtime.init_errors) == 1 and runtime.next_calls == []
    headers, body = runtime.init_errors[0]
    assert named in body["errorMessage"] and value in body["errorMessage"]
    assert body["errorType"].startswith("Runtime.")


def hostile_bodies():
    """The issue's hostile requests (issue 11), each with the status and a fragment of the error it must get."""
    worried = "I am worried about my " + " ".join(["a"] * 14_989)  # 30,000 characters
    tape = "PALP " + " ".join(["A", "B"] * 80 + ["B", "A"] * 80)  # a 320-cell palindrome
    remember = " ".join(["remember"] * 2_000)
    return [
        ("model 64 KiB, stream, n=16", {"model": "m" * 65_536, "stream": True, "n": 16,
                                        "messages": [{"role": "user", "content": worried}]}, 400, "model is 65536 bytes long"),
        ("50 x 320-cell palindrome", {"model": "eliza-palindrome", "messages": [{"role": "user", "content": tape}] * 50},
         422, "(ELIZA_MAX_WORD_OPERATIONS)"),
        ("50 x remember x 2,000", {"model": "eliza", "messages": [{"role": "user", "content": remember}] * 50},
         422, "(ELIZA_MAX_INPUT_BYTES)"),
        ("an echo streamed 16 times", {"model": "eliza", "stream": True, "n": 16,
                                       "messages": [{"role": "user", "content": "I am " + " ".join(["x"] * 30_000)}]},
         422, "(ELIZA_MAX_RESPONSE_BYTES)"),
    ]


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def test_hostile_requests_in_gateway_events_get_a_whole_4xx(bootstrap):
    v2 = json.loads((FIXTURES / "http-api-v2-chat.json").read_bytes())
    v1 = json.loads((FIXTURES / "rest-api-v1-chat.json").read_bytes())
    cases, events = [], []
    for name, body, status, fragment in hostile_bodies():
        for shape, template in (("v2", v2), ("v1", v1)):
            event = dict(template, body=json.dumps(body))
            request_id = f"req-{len(events):03d}-{shape}"
            events.append((request_id, json.dumps(event).encode()))
            cases.append((request_id, name, status, fragment))
    # After them, the same process still answers an ordinary request.
    events.append(("req-after", (FIXTURES / "http-api-v2-chat.json").read_bytes()))
    runtime = FakeRuntimeAPI(events + [(None, b"")])
    proc, _ = run_bootstrap(bootstrap, runtime)
    try:
        assert runtime.done.wait(60), "the bootstrap did not come back for the next event"
        rss = peak_rss_bytes(proc.pid)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        runtime.close()
    assert not runtime.errors, "no invocation error: every answer is a proxy response"
    for request_id, name, status, fragment in cases:
        raw = runtime.answers[request_id]
        assert len(raw) < 6_000_000, (name, len(raw))
        answer = json.loads(raw)
        assert answer["statusCode"] == status, (name, answer["statusCode"], answer["body"][:300])
        error = json.loads(answer["body"])["error"]
        assert fragment in error["message"], (name, error["message"])
        assert error["type"] == "invalid_request_error"
    after = json.loads(json.loads(runtime.answers["req-after"])["body"])
    assert after["choices"][0]["message"]["content"] == "IN WHAT WAY"
    # Logs stay one bounded JSON object per line (Logger.maxLineBytes), whatever the request held.
    lines = out.decode().splitlines()
    assert lines and all(len(line.encode()) <= 47_387 for line in lines)
    assert all(json.loads(line) for line in lines)
    print(f"\npeak RSS of the bootstrap: {rss / 1048576:.1f} MiB" if rss else "\npeak RSS unknown")
    assert rss is None or rss < 64 * 1024 * 1024, f"peak RSS {rss} bytes"


STREAMING_HEADERS = {
    "lambda-runtime-function-response-mode": "streaming",
    "transfer-encoding": "chunked",
    "content-type": "application/vnd.awslambda.http-integration-response",
    "trailer": "lambda-runtime-function-error-type, lambda-runtime-function-error-body",
}


def test_streaming_mode_speaks_the_response_streaming_protocol(bootstrap):
    """ELIZA_RESPONSE_MODE=streaming (template-rest.yaml): gateway events are answered with a chunked POST,
    the prelude and 8 NULs first, then the body; a direct invocation keeps its buffered answer; an
    invocation whose deadline is too close gets a chunked /error naming the deadline."""
    gateway = ["http-api-v2-chat.json", "rest-api-v1-chat.json", "http-api-v2-stream.json",
               "http-api-v2-disallowed-caller.json", "unknown-event.json"]
    events = [(f"req-s{i}", (FIXTURES / name).read_bytes()) for i, name in enumerate(gateway)]
    events += [("req-direct", (FIXTURES / "direct-invocation.json").read_bytes()),
               ("req-late", (FIXTURES / "http-api-v2-chat.json").read_bytes())]
    runtime, out = run_events(bootstrap, events, {"ELIZA_RESPONSE_MODE": "streaming",
                                                  "ELIZA_ALLOW_DIRECT_INVOCATION": "true"}, deadlines={"req-late": 100})
    statuses = {}
    for request_id, _ in events[:len(gateway)]:
        streamed = runtime.streams[request_id]
        for name, value in STREAMING_HEADERS.items():
            assert streamed.headers.get(name, "").lower() == value, (request_id, name, streamed.headers)
        assert streamed.trailers == {}, "a complete stream ends without error trailers"
        assert streamed.chunks[0][1].endswith(b"\0" * 8), "the first chunk is the prelude and its NULs"
        prelude, payload = streamed.prelude_and_payload()
        assert set(prelude) <= {"statusCode", "headers", "multiValueHeaders", "cookies"}
        assert all(isinstance(v, str) for v in prelude["headers"].values())
        statuses[request_id] = prelude["statusCode"]
        assert payload, request_id
    assert list(statuses.values()) == [200, 200, 200, 403, 400]
    chat = json.loads(runtime.streams["req-s0"].prelude_and_payload()[1])
    assert chat["choices"][0]["message"]["content"] == "IN WHAT WAY"
    prelude, sse = runtime.streams["req-s2"].prelude_and_payload()
    assert prelude["headers"]["content-type"] == "text/event-stream" and sse.endswith(b"data: [DONE]\n\n")
    denied = json.loads(runtime.streams["req-s3"].prelude_and_payload()[1])
    assert denied["error"]["code"] == "caller_not_allowed"
    # A direct invocation answers with the completion itself, never a stream.
    assert "req-direct" not in runtime.streams
    assert json.loads(runtime.answers["req-direct"])["object"] == "chat.completion"
    # 100 ms before the deadline is too close to stream anything: an invocation error, not a kill.
    assert "req-late" not in runtime.answers
    assert runtime.errors["req-late"]["errorType"] == "Eliza.DeadlineExceeded"
    assert runtime.streams["req-late"].headers["lambda-runtime-function-error-type"] == "Eliza.DeadlineExceeded"
    lines = [json.loads(line) for line in out if line.strip()]
    assert any(line.get("errorType") == "Eliza.DeadlineExceeded" and line["requestId"] == "req-late"
               for line in lines)


def simulated_stream_event(spec):
    """The streamed chat fixture (6 words: YOUR BOYFRIEND MADE YOU COME HERE) asking for a simulation."""
    event = json.loads((FIXTURES / "http-api-v2-stream.json").read_bytes())
    event["headers"]["x-eliza-simulate"] = spec
    return json.dumps(event).encode()


def test_streaming_mode_delivers_simulated_pacing_cuts_and_drops(bootstrap):
    """The REST front door's streaming integration carries issue 20's timing and broken endings for real
    (docs/failures.md, "On Lambda"): paced chunks leave when due, `cut` ends the stream with the error
    trailers, `drop` is an invocation error on /error before any byte."""
    events = [("req-paced", simulated_stream_event("ttft_ms=300,tps=20")),
              ("req-cut", simulated_stream_event("fault=cut,after=2")),
              ("req-drop", simulated_stream_event("fault=drop"))]
    runtime, out = run_events(bootstrap, events, {"ELIZA_RESPONSE_MODE": "streaming", "ELIZA_SIMULATION": "on"})

    paced = runtime.streams["req-paced"]
    assert paced.trailers == {}
    prelude, sse = paced.prelude_and_payload()
    assert prelude["statusCode"] == 200 and sse.endswith(b"data: [DONE]\n\n")
    words = [choice["delta"].get("content") for event in sse.decode().split("\n\n") if event.startswith("data: {")
             for choice in json.loads(event[6:])["choices"]]
    assert " ".join(w for w in words if w).split() == "YOUR BOYFRIEND MADE YOU COME HERE".split()
    start = paced.chunks[0][0]  # the prelude leaves at once
    texts = [(at - start, chunk) for at, chunk in paced.chunks[1:] if re.search(rb'"content":"[^"]', chunk)]
    assert len(texts) == 6, "one paced chunk per word"
    assert texts[0][0] >= 0.3 - 0.02, f"first word after {texts[0][0]:.3f} s, asked ttft_ms=300"
    total = paced.chunks[-1][0] - start
    assert total >= 0.3 + 5 / 20 - 0.02, f"stream took {total:.3f} s, at least 0.55 s asked"
    assert total < 5, f"stream took {total:.3f} s"
    gaps = [later[0] - earlier[0] for earlier, later in zip(texts, texts[1:])]
    assert min(gaps) >= 0.05 - 0.02, gaps  # 20 words per second

    cut = runtime.streams["req-cut"]
    error_type, error = cut.trailer_error()
    assert error_type == error["errorType"] == "Eliza.StreamCut" and "cut" in error["errorMessage"]
    prelude, sse = cut.prelude_and_payload()
    assert prelude["statusCode"] == 200 and b"[DONE]" not in sse
    assert sse.count(b"data: ") == 2, sse

    assert "req-drop" not in runtime.answers
    assert runtime.errors["req-drop"]["errorType"] == "Eliza.ConnectionDropped"
    assert runtime.streams["req-drop"].headers["lambda-runtime-function-error-type"] == "Eliza.ConnectionDropped"
    lines = [json.loads(line) for line in out if line.strip()]
    assert any(line.get("errorType") == "Eliza.StreamCut" and line.get("requestId") == "req-cut" for line in lines)


def run_fixtures(bootstrap, names, extra_env):
    """The named fixtures through the bootstrap; its answers and the lines it printed."""
    events = [(f"req-{i:03d}-{name.split('.')[0]}", (FIXTURES / name).read_bytes()) for i, name in enumerate(names)]
    return run_events(bootstrap, events, extra_env)


def run_events(bootstrap, events, extra_env, deadlines=None):
    """(request id, event) pairs through the bootstrap; the fake Runtime API and the lines printed."""
    runtime = FakeRuntimeAPI(events + [(None, b"")], deadlines=deadlines)
    proc, _ = run_bootstrap(bootstrap, runtime, extra_env)
    try:
        assert runtime.done.wait(30), "the bootstrap did not come back for the next event"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        runtime.close()
    return runtime, out.decode().splitlines()


EMF_METRICS = ["Requests", "ClientErrors", "ServerErrors", "DeniedCallers", "LatencyMs", "ReplyWords"]


@pytest.mark.parametrize("log_level", ["INFO", "WARN"])
def test_emf_metric_lines_have_the_shape_and_cardinality_cloudwatch_needs(bootstrap, log_level):
    """ELIZA_METRICS_NAMESPACE (the templates' MetricsNamespace): ColdStart once, then one EMF line per
    request with route and model as the only dimensions; with ApplicationLogLevel WARN (Lambda sets
    AWS_LAMBDA_LOG_LEVEL) the INFO access lines go, the metric lines stay, marked WARN so that Lambda's
    filter keeps them."""
    names = ["http-api-v2-chat.json", "http-api-v2-models.json", "http-api-v2-disallowed-caller.json",
             "http-api-v2-unknown-path.json", "rest-api-v1-chat.json"]
    runtime, lines = run_fixtures(bootstrap, names, {"ELIZA_METRICS_NAMESPACE": "ElizaTest",
                                                     "AWS_LAMBDA_LOG_LEVEL": log_level})
    assert len(runtime.answers) == len(names)
    documents = [json.loads(line) for line in lines]
    emf = [d for d in documents if "_aws" in d]
    cold = [d for d in emf if "ColdStart" in d]
    requests = [d for d in emf if "Requests" in d]
    assert len(cold) == 1 and cold[0]["ColdStart"] == 1 and emf[0] is cold[0]
    assert len(requests) == len(names)
    for document in emf:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "ElizaTest"
        assert isinstance(document["_aws"]["Timestamp"], int)
        assert document["level"] == log_level and document["timestamp"].endswith("Z")
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], (int, float))
            assert metric["Unit"] in ("Count", "Milliseconds")
    for document in requests:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["route", "model"]]
        assert [m["Name"] for m in directive["Metrics"]] == EMF_METRICS
        # Low cardinality: dimension values from fixed sets; no IP anywhere in a metric line.
        assert document["model"] in ("eliza", "other", "none") or document["model"].startswith("eliza-")
        assert document["route"] == "none" or document["route"].startswith("/")
        assert not any(isinstance(v, str) and v.count(".") == 3 and v.replace(".", "").isdigit()
                       for v in document.values())
    by_request = {d["requestId"].split("-", 2)[2]: d for d in requests}
    assert by_request["http-api-v2-chat"]["route"] == "/v1/chat/completions"
    assert by_request["http-api-v2-chat"]["model"] == "eliza" and by_request["http-api-v2-chat"]["ReplyWords"] == 3
    assert by_request["http-api-v2-disallowed-caller"]["DeniedCallers"] == 1
    assert by_request["http-api-v2-unknown-path"]["ClientErrors"] == 1
    assert sum(d["Requests"] for d in requests) == len(names)
    served = [d for d in documents if d.get("message") == "request" and d["level"] == "INFO"]
    assert bool(served) is (log_level == "INFO"), "WARN filters the INFO access lines, not the metrics"


def test_without_a_namespace_there_are_no_metric_lines(bootstrap):
    _, lines = run_fixtures(bootstrap, ["http-api-v2-chat.json"], {})
    assert lines and not any('"_aws"' in line for line in lines)


def test_text_log_format_on_lambda(bootstrap):
    """LoggingConfig.LogFormat Text: Lambda sets AWS_LAMBDA_LOG_FORMAT=Text, and the lines are readable text
    carrying the request id; the EMF lines stay JSON (CloudWatch extracts metrics from them)."""
    runtime, lines = run_fixtures(bootstrap, ["http-api-v2-chat.json", "http-api-v2-disallowed-caller.json"],
                                  {"AWS_LAMBDA_LOG_FORMAT": "Text", "ELIZA_METRICS_NAMESPACE": "ElizaTest"})
    assert len(runtime.answers) == 2
    text = [line for line in lines if not line.startswith("{")]
    emf = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(emf) == 3 and all("_aws" in d for d in emf)
    (served,) = [line for line in text if " request requestId=req-000-" in line]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  request requestId=req-000-http-api-v2-chat ", served)
    assert " status=200 " in served and " route=/v1/chat/completions " in served
    (denied,) = [line for line in text if " request denied " in line]
    assert denied.split()[1] == "WARN" and 'reason="caller IP not in ALLOWED_CALLER_CIDRS"' in denied
