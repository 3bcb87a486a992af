#!/usr/bin/env python3
"""Soak the Lambda Runtime API loop: the release binary against a fast fake Runtime API on 127.0.0.1.

One bootstrap process serves --invocations events (the recorded fixtures in
Tests/LambdaFunctionTests/Fixtures, good and bad, in turn). Every answer is checked: exactly one
/response per request id, the fixture's expected statusCode, no /error posts. The process's RSS
(/proc/PID/status) must not grow by more than 2 MiB between the end of warm-up and the end.
Also measures the time from process start to its first /next (median of --startup-runs starts).
With --streaming the function runs with ELIZA_RESPONSE_MODE=streaming (template-rest.yaml): gateway
events are answered with Lambda's response-streaming protocol (a chunked /response: the prelude, 8 NUL
bytes, the body, no error trailers), each taken apart and checked like a buffered answer.

  python3 Tools/soak-lambda.py --invocations 100000 --startup-runs 20
  python3 Tools/soak-lambda.py --streaming --invocations 30000 --startup-runs 0

Standard library only. The fake speaks HTTP/1.1 keep-alive on raw sockets, one thread per
connection (the runtime keeps one connection), so it costs little next to the function.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from fixtures import ALLOW, DIRECT, FIXTURE_STATUS, FIXTURES, direct_answer_problem  # noqa: E402
from processes import read_memory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RSS_GROWTH_LIMIT_KIB = 2 * 1024
WARMUP = 10_000
TIME_LIMIT_SECONDS = 600
PREFIX = "/2018-06-01/runtime"


def cpu_seconds(pid):
    """utime + stime of `pid` in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def response(status, body=b"", headers=()):
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode() + b"\r\n" + body


ACCEPTED = response(202, b'{"status":"OK"}', [("Content-Type", "application/json")])


class FakeRuntimeAPI:
    """Runtime API 2018-06-01: /next hands out `limit` events in turn, then holds the long poll."""

    def __init__(self, events, limit, warmup, on_warm, streaming=False):
        self.events = events  # [(name, bytes, expected status)]
        self.streaming = streaming
        self.limit = limit
        self.warmup = warmup
        self.on_warm = on_warm
        self.issued = 0
        self.expected = {}  # request id -> (fixture name, expected status)
        self.answered = set()
        self.errors = []
        self.failures = []
        self.failure_count = 0
        self.first_next = None
        self.last_response = None
        self.done = threading.Event()
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def fail(self, what):
        self.failure_count += 1
        if len(self.failures) < 10:
            self.failures.append(what)

    def accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                method, path, _ = lines[0].decode().split(" ", 2)
                length, chunked = 0, False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                    elif name.strip().lower() == b"transfer-encoding":
                        chunked = value.strip().lower() == b"chunked"
                if chunked:
                    taken = self.take_chunked(conn, buffer)
                    if taken is None:
                        return
                    body, trailers, buffer = taken
                    body = self.unstream(method, path, body, trailers)
                else:
                    while len(buffer) < length:
                        data = conn.recv(65536)
                        if not data:
                            return
                        buffer += data
                    body, buffer = buffer[:length], buffer[length:]
                    if self.streaming and path.endswith("/response") and not body.startswith(b'{"id":"chatcmpl-') \
                            and not body.startswith(b'{"error"'):
                        self.fail(f"a buffered answer in streaming mode on {path}")
                reply = self.handle(method, path, body)
                if reply is None:  # all events handed out: hold the poll until the run ends
                    self.stop.wait(TIME_LIMIT_SECONDS)
                    return
                conn.sendall(reply)

    @staticmethod
    def take_chunked(conn, buffer):
        """A chunked body from `buffer` and the connection: (body, trailer lines, what follows), or None
        when the connection closes first."""
        body, trailers = b"", []

        def line():
            nonlocal buffer
            while b"\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return None
                buffer += data
            text, buffer = buffer.split(b"\r\n", 1)
            return text

        while True:
            size_line = line()
            if size_line is None:
                return None
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            while len(buffer) < size + 2:
                data = conn.recv(65536)
                if not data:
                    return None
                buffer += data
            body, buffer = body + buffer[:size], buffer[size + 2:]
        while (trailer := line()) not in (b"", None):
            trailers.append(trailer)
        return body, trailers, buffer

    def unstream(self, method, path, body, trailers):
        """A streamed answer as the buffered proxy response it stands for, after checking the protocol:
        the prelude and 8 NULs first, no error trailers (nothing in these fixtures fails midway)."""
        if not self.streaming or not path.endswith("/response"):
            self.fail(f"an unexpected chunked {method} {path}")
            return body
        if trailers:
            self.fail(f"error trailers on {path}: {trailers!r}")
        end = body.find(b"\0" * 8)
        if end < 0:
            self.fail(f"no prelude on {path}")
            return body
        prelude = json.loads(body[:end])
        prelude["body"] = body[end + 8:].decode()
        return json.dumps(prelude).encode()

    def handle(self, method, path, body):
        if method == "GET" and path == PREFIX + "/invocation/next":
            now = time.monotonic()
            if self.first_next is None:
                self.first_next = now
            if self.issued == self.warmup:
                self.on_warm()
            if self.issued >= self.limit:
                self.done.set()
                return None
            name, event, status = self.events[self.issued % len(self.events)]
            request_id = f"soak-{self.issued:08d}"
            self.issued += 1
            self.expected[request_id] = (name, status)
            deadline = int(time.time() * 1000) + 10_000
            return response(200, event, [("Lambda-Runtime-Aws-Request-Id", request_id),
                                         ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                                         ("Lambda-Runtime-Invoked-Function-Arn",
                                          "arn:aws:lambda:us-east-1:123456789012:function:eliza"),
                                         ("Lambda-Runtime-Trace-Id", f"Root=1-5759e988-{self.issued:024x};Sampled=1")])
        parts = path.split("/")
        if method == "POST" and len(parts) == 6 and parts[3] == "invocation":
            request_id, kind = parts[4], parts[5]
            if request_id not in self.expected:
                self.fail(f"{kind} for unknown request id {request_id!r}")
                return response(400)
            if request_id in self.answered:
                self.fail(f"second {kind} for {request_id}")
                return response(400)
            self.answered.add(request_id)
            self.last_response = time.monotonic()
            name, status = self.expected[request_id]
            if kind == "error":
                self.errors.append(request_id)
                self.fail(f"/error for {request_id} ({name}): {body[:200]!r}")
            elif kind == "response":
                self.check(request_id, name, status, body)
            else:
                return response(404)
            return ACCEPTED
        if method == "POST" and path == PREFIX + "/init/error":
            self.fail(f"/init/error: {body[:300]!r}")
            return ACCEPTED
        self.fail(f"unexpected {method} {path}")
        return response(404)

    def check(self, request_id, name, status, body):
        try:
            answer = json.loads(body)
            if status == DIRECT:
                # environment() leaves ELIZA_ALLOW_DIRECT_INVOCATION unset: off, as deployed.
                problem = direct_answer_problem(answer, allowed=False)
                if problem:
                    self.fail(f"{request_id} ({name}): {problem}")
                return
            else:
                ok = answer["statusCode"] == status and isinstance(answer["body"], str)
                if ok and status == 200 and name == "http-api-v2-stream.json":
                    ok = answer["body"].endswith("data: [DONE]\n\n")
                elif ok and status == 200 and name == "http-api-v2-playground.json":
                    ok = answer["body"].startswith("<!doctype html>") and answer["body"].endswith("</html>\n")
                elif ok and status == 200:
                    json.loads(answer["body"])
        except (ValueError, KeyError, IndexError, TypeError) as error:
            ok = False
            body = repr(error).encode() + b" " + body
        if not ok:
            self.fail(f"{request_id} ({name}): expected statusCode {status}: {body[:300]!r}")

    def close(self):
        self.stop.set()
        self.listener.close()


def load_events():
    events = []
    for path in sorted(FIXTURES.glob("*.json")):
        if path.name not in FIXTURE_STATUS:
            raise SystemExit(f"soak: no expected status for the fixture {path.name}; add it to Tools/lib/fixtures.py")
        events.append((path.name, path.read_bytes(), FIXTURE_STATUS[path.name]))
    return events


def environment(address, streaming=False):
    variables = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": address, "ALLOWED_CALLER_CIDRS": ALLOW,
                 "AWS_LAMBDA_FUNCTION_NAME": "eliza", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                 "AWS_LAMBDA_LOG_FORMAT": "JSON"}
    if streaming:
        variables["ELIZA_RESPONSE_MODE"] = "streaming"
    return variables


def stop(proc):
    proc.kill()
    proc.wait(10)


def measure_startup(binary, runs):
    """Seconds from Popen to the first /next, for each of `runs` fresh processes."""
    times = []
    for _ in range(runs):
        fake = FakeRuntimeAPI([], 0, -1, lambda: None)
        start = time.monotonic()
        proc = subprocess.Popen([binary], env=environment(fake.address), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            if not fake.done.wait(10):
                raise SystemExit("soak: the bootstrap did not call /next within 10 s")
            times.append(fake.first_next - start)
        finally:
            stop(proc)
            fake.close()
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invocations", type=int, default=100_000)
    parser.add_argument("--startup-runs", type=int, default=20, help="fresh starts timed to the first /next")
    parser.add_argument("--bin", help="bootstrap binary (default .build/lambda/bootstrap, from `make lambda`)")
    parser.add_argument("--streaming", action="store_true",
                        help="ELIZA_RESPONSE_MODE=streaming: answers use Lambda's response-streaming protocol")
    args = parser.parse_args()
    if not 100 <= args.invocations <= 10_000_000:
        parser.error("--invocations must be 100..10000000")
    binary = args.bin or str(ROOT / ".build" / "lambda" / "bootstrap")
    if not Path(binary).exists():
        raise SystemExit(f"soak: {binary} is missing: run `make lambda` or pass --bin")

    warmup = min(WARMUP, args.invocations // 5)
    marks = {}
    proc_holder = []
    fake = FakeRuntimeAPI(load_events(), args.invocations, warmup,
                          lambda: marks.update(warm=read_memory(proc_holder[0].pid), warm_at=time.monotonic(),
                                               warm_cpu=cpu_seconds(proc_holder[0].pid)),
                          streaming=args.streaming)
    stderr = tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen([binary], env=environment(fake.address, args.streaming), stdout=subprocess.DEVNULL,
                            stderr=stderr)
    proc_holder.append(proc)
    try:
        finished = fake.done.wait(TIME_LIMIT_SECONDS)
        # The final /next is held; wait (bounded) for the last answer to be recorded.
        for _ in range(100):
            if len(fake.answered) >= fake.issued:
                break
            time.sleep(0.01)
        alive = proc.poll() is None
        rss_end, hwm = read_memory(proc.pid) if alive else (0, 0)
        cpu_total = cpu_seconds(proc.pid) if alive else 0.0
    finally:
        stop(proc)
        fake.close()
    startups = measure_startup(binary, args.startup_runs) if args.startup_runs else []

    handled = len(fake.answered)
    loop_seconds = (fake.last_response or start) - (fake.first_next or start)
    rss_warm = marks.get("warm", (None, None))[0]
    growth = rss_end - rss_warm if rss_warm is not None else None
    steady = args.invocations - warmup
    steady_seconds = (fake.last_response or 0) - marks.get("warm_at", 0)
    rows = [
        ("binary", binary),
        ("response mode", "streaming (chunked /response)" if args.streaming else "buffered"),
        ("invocations", f"{handled} of {args.invocations} ({len(FIXTURE_STATUS)} fixtures in turn)"),
        ("wall time, first /next to last answer", f"{loop_seconds:.2f} s"),
        ("invocations/s", f"{handled / loop_seconds:,.0f}" if loop_seconds > 0 else "-"),
        ("invocations/s after warm-up", f"{steady / steady_seconds:,.0f}" if "warm_at" in marks and steady_seconds > 0 else "-"),
        ("function CPU per invocation", f"{cpu_total / max(handled, 1) * 1e6:.1f} us (utime+stime / invocations)"),
        ("function CPU per invocation after warm-up",
         f"{(cpu_total - marks['warm_cpu']) / max(steady, 1) * 1e6:.1f} us" if "warm_cpu" in marks else "-"),
        ("wall time per invocation", f"{loop_seconds / max(handled, 1) * 1e6:.1f} us (incl. the fake Runtime API)"),
        ("failures", f"{fake.failure_count}"),
        ("/error posts", f"{len(fake.errors)}"),
        (f"RSS after {warmup:,} (warm-up)", f"{rss_warm / 1024:.2f} MiB" if rss_warm else "-"),
        ("RSS at end", f"{rss_end / 1024:.2f} MiB"),
        ("RSS growth", f"{growth / 1024:+.2f} MiB" if growth is not None else "-"),
        ("peak RSS (VmHWM)", f"{hwm / 1024:.2f} MiB"),
        ("time to first /next (this run)", f"{((fake.first_next or start) - start) * 1000:.1f} ms"),
    ]
    if startups:
        rows.append((f"time to first /next, median of {len(startups)}",
                     f"{statistics.median(startups) * 1000:.1f} ms (min {min(startups) * 1000:.1f}, "
                     f"max {max(startups) * 1000:.1f})"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for failure in fake.failures:
        print("failure:", failure)

    problems = []
    if not finished or handled != args.invocations or fake.issued != args.invocations:
        problems.append(f"{handled} answers for {args.invocations} invocations")
    if not alive:
        problems.append(f"the bootstrap exited (status {proc.returncode})")
    if fake.failure_count:
        problems.append(f"{fake.failure_count} wrong answers or /error posts")
    if growth is None or growth > RSS_GROWTH_LIMIT_KIB:
        problems.append("RSS grew by more than 2 MiB after warm-up")
    if problems:
        stderr.seek(0)
        tail = stderr.read()[-2000:].decode(errors="replace")
        print("FAIL:", "; ".join(problems))
        if tail:
            print("bootstrap stderr (tail):\n" + tail)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
