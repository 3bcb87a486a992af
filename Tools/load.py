#!/usr/bin/env python3
"""Bounded loopback load test of the local HTTP server (Python 3 standard library only).

Starts the release server itself on 127.0.0.1, port 0, and sends --requests requests over
--concurrency HTTP/1.1 keep-alive connections. Every response is checked: status per kind, JSON
that parses, SSE that ends with `data: [DONE]`, and ELIZA's exact reply for the fixed requests.
The server's RSS (VmRSS, VmHWM from /proc/PID/status) is sampled after the first 10,000 requests
and at the end.

  python3 Tools/load.py --requests 200000 --concurrency 64 --mix default --check

--check exits 1 on any connection error, 5xx, malformed or wrong response, or RSS growth over
2 MiB between the 10k mark and the end. The generator is single-threaded Python: on a small
machine it, not the server, limits req/s (Tools/load-wrk.sh measures the server's throughput).
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from processes import read_memory, start_local_server, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RSS_MARK = 10_000
RSS_GROWTH_LIMIT_KIB = 2 * 1024
TIME_LIMIT_SECONDS = 900  # the whole run, whatever --requests says

# The CACM 1966 conversation (../shared/reference/conversations/cacm-1966.json): ELIZA's replies
# are the paper's, so the server's answers are checked against the publication, not against itself.
CACM = [
    ("Men are all alike.", "IN WHAT WAY"),
    ("They're always bugging us about something or other.", "CAN YOU THINK OF A SPECIFIC EXAMPLE"),
    ("Well, my boyfriend made me come here.", "YOUR BOYFRIEND MADE YOU COME HERE"),
    ("He says I'm depressed much of the time.", "I AM SORRY TO HEAR YOU ARE DEPRESSED"),
    ("It's true. I am unhappy.", "DO YOU THINK COMING HERE WILL HELP YOU NOT TO BE UNHAPPY"),
    ("I need some help, that much seems certain.", "WHAT WOULD IT MEAN TO YOU IF YOU GOT SOME HELP"),
    ("Perhaps I could learn to get along with my mother.", "TELL ME MORE ABOUT YOUR FAMILY"),
    ("My mother takes care of me.", "WHO ELSE IN YOUR FAMILY TAKES CARE OF YOU"),
    ("My father.", "YOUR FATHER"),
    ("You are like my father in some ways.", "WHAT RESEMBLANCE DO YOU SEE"),
    ("You are not very aggressive but I think you don't want me to notice that.",
     "WHAT MAKES YOU THINK I AM NOT VERY AGGRESSIVE"),
    ("You don't argue with me.", "WHY DO YOU THINK I DON'T ARGUE WITH YOU"),
    ("You are afraid of me.", "DOES IT PLEASE YOU TO BELIEVE I AM AFRAID OF YOU"),
    ("My father is afraid of everybody.", "WHAT ELSE COMES TO MIND WHEN YOU THINK OF YOUR FATHER"),
    ("Bullies.", "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE"),
]


def conversation(turns):
    """The first `turns` user messages of the CACM dialogue (cycled past 15) with ELIZA's answers between."""
    messages = [{"role": "system", "content": "You are ELIZA."}]
    for i in range(turns):
        user, eliza = CACM[i % len(CACM)]
        messages.append({"role": "user", "content": user})
        if i < turns - 1:
            messages.append({"role": "assistant", "content": eliza})
    return messages


def chat_body(messages, **extra):
    return json.dumps({"model": "eliza", "messages": messages, **extra}).encode()


def request_bytes(method, path, body=b"", content_type="application/json"):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: eliza-load\r\n"
    if body or method == "POST":
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


# The reply to the 50th message of the cycled CACM dialogue. Not in the paper (it stops at 15
# turns): recorded from `elizac chat Scripts/doctor.eliza` fed the same 50 lines, which runs the
# same tables as the server. A change here is a behaviour change of the VM or the script.
CONVERSATION_50_REPLY = "CAN YOU EXPLAIN WHAT MADE YOU UNHAPPY"

KINDS = {
    # kind: (request bytes, expected status, expected content or None)
    "chat": (request_bytes("POST", "/v1/chat/completions", chat_body(conversation(1))), 200, CACM[0][1]),
    "stream": (request_bytes("POST", "/v1/chat/completions",
                             chat_body(conversation(15), stream=True, stream_options={"include_usage": True})),
               200, CACM[14][1]),
    "conversation50": (request_bytes("POST", "/v1/chat/completions", chat_body(conversation(50))), 200,
                       CONVERSATION_50_REPLY),
    "bad-json": (request_bytes("POST", "/v1/chat/completions", b'{"model": "eliza", "messages": [}'), 400, None),
    "not-found": (request_bytes("GET", "/v1/no-such-route"), 404, None),
}
MIXES = {
    # One cycle of kinds; requests take them in turn.
    "default": ["chat", "stream", "chat", "conversation50", "chat", "stream", "bad-json", "chat", "not-found", "chat"],
    "chat": ["chat"],
}


class Malformed(Exception):
    pass


def check_response(kind, status, headers, body):
    """Raises Malformed unless the response is exactly what `kind` must get."""
    _, want_status, want_content = KINDS[kind]
    if status != want_status:
        raise Malformed(f"{kind}: status {status}, expected {want_status}: {body[:200]!r}")
    if kind == "stream":
        if not headers.get("content-type", "").startswith("text/event-stream"):
            raise Malformed(f"stream: content-type {headers.get('content-type')!r}")
        if not body.endswith(b"data: [DONE]\n\n"):
            raise Malformed(f"stream: does not end with data: [DONE]: {body[-80:]!r}")
        events = body.split(b"\n\n")
        if events[-1] != b"" or events[-2] != b"data: [DONE]":
            raise Malformed("stream: bad event framing")
        text, usage, finish = [], None, None
        for event in events[:-2]:
            if not event.startswith(b"data: "):
                raise Malformed(f"stream: event without data: {event[:80]!r}")
            chunk = json.loads(event[6:])
            if chunk.get("object") != "chat.completion.chunk":
                raise Malformed(f"stream: chunk object {chunk.get('object')!r}")
            for choice in chunk.get("choices") or []:
                text.append(choice.get("delta", {}).get("content") or "")
                finish = choice.get("finish_reason") or finish
            if chunk.get("usage"):
                usage = chunk["usage"]
        content = "".join(text).strip()
        if content != want_content or finish != "stop" or not usage or usage.get("completion_tokens") != len(want_content.split()):
            raise Malformed(f"stream: content {content!r} finish {finish!r} usage {usage!r}")
        return
    try:
        doc = json.loads(body)
    except ValueError as error:
        raise Malformed(f"{kind}: body is not JSON ({error}): {body[:200]!r}")
    if want_status == 200:
        content = doc["choices"][0]["message"]["content"]
        if doc.get("object") != "chat.completion" or content != want_content:
            raise Malformed(f"{kind}: content {content!r}, expected {want_content!r}")
    elif not isinstance(doc.get("error"), dict) or not doc["error"].get("message"):
        raise Malformed(f"{kind}: no OpenAI error object: {body[:200]!r}")


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or parts[0] != b"HTTP/1.1":
        raise Malformed(f"bad status line {lines[0][:80]!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    if "content-length" not in headers:
        raise Malformed(f"no content-length: {headers}")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, headers, body


class Run:
    def __init__(self, args, port, pid):
        self.args = args
        self.port = port
        self.pid = pid
        self.mix = MIXES[args.mix]
        self.next_index = 0
        self.done = 0
        self.latencies = []
        self.connection_errors = 0
        self.server_errors = 0
        self.malformed = 0
        self.reconnects = 0
        self.first_failures = []
        self.rss_mark = None
        self.mark = min(RSS_MARK, args.requests // 2)

    def fail(self, what):
        if len(self.first_failures) < 10:
            self.first_failures.append(what)

    async def worker(self, deadline):
        reader = writer = None
        while self.next_index < self.args.requests and time.monotonic() < deadline:
            index = self.next_index
            self.next_index += 1
            kind = self.mix[index % len(self.mix)]
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                start = time.perf_counter()
                writer.write(KINDS[kind][0])
                status, headers, body = await asyncio.wait_for(read_response(reader), 10)
                self.latencies.append(time.perf_counter() - start)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError) as error:
                self.connection_errors += 1
                self.fail(f"{kind}: connection error {error!r}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                self.finish_one()
                continue
            except Malformed as error:
                self.malformed += 1
                self.fail(str(error))
                writer.close()
                reader = writer = None
                self.finish_one()
                continue
            if status >= 500:
                self.server_errors += 1
            try:
                check_response(kind, status, headers, body)
            except (Malformed, ValueError, KeyError, IndexError, TypeError) as error:
                self.malformed += 1
                self.fail(f"{kind}: {error}")
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
                self.reconnects += 1
            self.finish_one()
        if writer is not None:
            writer.close()

    def finish_one(self):
        self.done += 1
        if self.done == self.mark:
            self.rss_mark = read_memory(self.pid)

    async def run(self):
        deadline = time.monotonic() + TIME_LIMIT_SECONDS
        start = time.perf_counter()
        await asyncio.gather(*(self.worker(deadline) for _ in range(self.args.concurrency)))
        self.duration = time.perf_counter() - start
        self.rss_end = read_memory(self.pid)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def server_binary(args):
    if args.bin:
        return args.bin
    bootstrap = ROOT / ".build" / "lambda" / "bootstrap"
    if bootstrap.exists():
        return str(bootstrap)
    raise SystemExit("load: no server binary: pass --bin, or run `make lambda` for .build/lambda/bootstrap")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--mix", choices=sorted(MIXES), default="default")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error or RSS growth over 2 MiB")
    parser.add_argument("--bin", help="server binary (default .build/lambda/bootstrap, from `make lambda`)")
    args = parser.parse_args()
    if not (1 <= args.requests <= 10_000_000 and 1 <= args.concurrency <= 1024):
        parser.error("--requests must be 1..10000000 and --concurrency 1..1024")

    proc, port = start_local_server(server_binary(args), "load")
    try:
        run = Run(args, port, proc.pid)
        asyncio.run(run.run())
        crashed = proc.poll() is not None
    finally:
        stop(proc)

    latencies = sorted(run.latencies)
    rss_mark, _ = run.rss_mark or (None, None)
    rss_end, hwm_end = run.rss_end
    growth = rss_end - rss_mark if rss_mark is not None else None
    rows = [
        ("binary", server_binary(args)),
        ("mix", args.mix + " (" + ", ".join(MIXES[args.mix]) + ")"),
        ("requests", f"{run.done}"),
        ("concurrency", f"{args.concurrency}"),
        ("duration", f"{run.duration:.2f} s"),
        ("req/s", f"{run.done / run.duration:,.0f}"),
        ("latency p50", f"{percentile(latencies, 0.50) * 1000:.2f} ms"),
        ("latency p99", f"{percentile(latencies, 0.99) * 1000:.2f} ms"),
        ("latency max", f"{latencies[-1] * 1000:.2f} ms" if latencies else "-"),
        ("connection errors", f"{run.connection_errors}"),
        ("5xx", f"{run.server_errors}"),
        ("malformed/wrong", f"{run.malformed}"),
        ("reconnects (connection: close)", f"{run.reconnects}"),
        (f"RSS after {run.mark:,}", f"{rss_mark / 1024:.2f} MiB" if rss_mark else "-"),
        ("RSS at end", f"{rss_end / 1024:.2f} MiB"),
        ("RSS growth", f"{growth / 1024:+.2f} MiB" if growth is not None else "-"),
        ("peak RSS (VmHWM)", f"{hwm_end / 1024:.2f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for failure in run.first_failures:
        print("failure:", failure)

    problems = []
    if run.done != args.requests:
        problems.append(f"only {run.done} of {args.requests} requests ran within {TIME_LIMIT_SECONDS} s")
    if run.connection_errors or run.server_errors or run.malformed:
        problems.append("connection errors, 5xx or malformed responses")
    if crashed:
        problems.append("the server exited during the run")
    if growth is None or growth > RSS_GROWTH_LIMIT_KIB:
        problems.append(f"RSS grew by more than 2 MiB after the first {run.mark} requests")
    if args.check:
        if problems:
            print("FAIL:", "; ".join(problems))
            return 1
        print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
