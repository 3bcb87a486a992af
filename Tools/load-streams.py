#!/usr/bin/env python3
"""How many concurrent paced streams the local server holds (Python 3 standard library only).

Starts the release server on 127.0.0.1 (port 0) and keeps --streams chat-completion streams in flight
over as many keep-alive connections, each asking `eliza@ttft_ms=T,tps=20` (docs/failures.md): the first
word after T ms, then 20 words a second; a connection whose stream ends asks for the next. Meanwhile a
probe sends one plain (non-stream) request every 20 ms on a connection of its own and times it. At the
end it prints the streams held, the words delivered per second, the probe's p50/p99/max, and the
server's CPU (utime+stime over the hold) and RSS (VmRSS, VmHWM).

  python3 Tools/load-streams.py --streams 10000 --hold 30
  python3 Tools/load-streams.py --streams 500 --hold 5 --check          # what `make test` runs
  python3 Tools/load-streams.py --streams 10000 --hold 30 \\
      --compare-command '/tmp/fake-venv/bin/python -m uvicorn main:app --host 127.0.0.1 --port {port}' \\
      --compare-cwd /tmp/fake-endpoint

--compare-command starts another server on a free 127.0.0.1 port ({port}) and runs the same load
against it in the same run, side by side: LiteLLM's fake OpenAI endpoint (BerriAI/example_openai_endpoint),
which cannot pace, holds its streams with its `random_sleep` model (1 to 10 s, then every word at
once) and is probed with an ordinary model. The clients run in --workers processes at niceness
--worker-nice (default 10, so that on shared cores they yield to the server and the probe); they raise
RLIMIT_NOFILE to the hard limit themselves, and so does this script (the servers inherit it). Only
127.0.0.1; every phase bounded (--hold, a ramp of --rate connections a second, a hard time limit).
--check exits 1 on any failed connection or stream, a stream that ended early (faster than its pacing
allows), or fewer than 95 % of the streams held.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from processes import read_memory, start_local_server, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT_SECONDS = 600
# "WHAT WOULD IT MEAN TO YOU IF YOU GOT SOME HELP": 11 words, so 10 intervals of 1/tps after the first.
STREAM_MESSAGE = "I need some help, that much seems certain."
STREAM_WORDS = 11
PROBE_MESSAGE = "Men are all alike."
WORD = re.compile(rb'"content": ?"[^"]')


def raise_descriptor_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def request(path, body):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def chat(model, message, stream):
    return json.dumps({"model": model, "stream": stream, "messages": [{"role": "user", "content": message}]}).encode()


# MARK: worker: one process holding its share of the streams


class Stream(asyncio.Protocol):
    """One keep-alive connection with one stream in flight at a time; asks again when a stream ends."""

    def __init__(self, worker):
        self.worker = worker
        self.buffer = bytearray()
        self.transport = None
        self.started = 0.0

    def connection_made(self, transport):
        self.transport = transport
        self.worker.open += 1
        self.send()

    def send(self):
        self.buffer.clear()
        self.started = time.monotonic()
        self.worker.in_flight += 1
        self.transport.write(self.worker.payload)

    def data_received(self, data):
        self.buffer += data
        # Chunked streams end with the last chunk; anything else is a failure.
        if not self.buffer.endswith(b"\r\n0\r\n\r\n"):
            return
        self.worker.in_flight -= 1
        elapsed = time.monotonic() - self.started
        head = bytes(self.buffer[:12])
        words = len(WORD.findall(self.buffer))  # events with a non-empty content (not the role chunk)
        if not head.startswith(b"HTTP/1.1 200") or (self.worker.expect_done and b"data: [DONE]" not in self.buffer):
            self.worker.failed += 1
        elif elapsed < self.worker.minimum_seconds:
            self.worker.early += 1
        else:
            self.worker.completed += 1
            self.worker.words += max(words, 0)
        if self.worker.running:
            self.send()
        else:
            self.transport.close()

    def connection_lost(self, exc):
        self.worker.open -= 1
        if self.worker.running:
            self.worker.dropped += 1


class Worker:
    def __init__(self, args):
        self.port = args.port
        self.count = args.count
        self.rate = args.rate
        self.payload = request(args.path, chat(args.model, STREAM_MESSAGE, True))
        self.minimum_seconds = args.minimum_ms / 1000
        self.expect_done = args.expect_done
        self.running = True
        self.open = self.in_flight = self.completed = self.failed = self.early = self.dropped = self.words = 0
        self.connect_errors = 0

    async def connect(self, loop):
        try:
            await loop.create_connection(lambda: Stream(self), "127.0.0.1", self.port)
        except OSError:
            self.connect_errors += 1

    async def run(self, ramp_until, stop_at):
        loop = asyncio.get_running_loop()
        reporter = loop.create_task(self.report_until(stop_at))  # also while still connecting
        tasks = []
        batch = max(1, self.rate // 20)
        for start in range(0, self.count, batch):
            if time.time() >= stop_at:
                break
            tasks += [loop.create_task(self.connect(loop)) for _ in range(min(batch, self.count - start))]
            await asyncio.sleep(0.05)
        if tasks:  # bounded: a server that never accepts must not hold the run
            await asyncio.wait(tasks, timeout=max(1.0, stop_at - time.time()))
        await reporter
        self.running = False
        print(json.dumps(self.report(final=True)), flush=True)

    async def report_until(self, stop_at):
        while time.time() < stop_at:
            print(json.dumps(self.report()), flush=True)
            await asyncio.sleep(0.5)

    def report(self, final=False):
        return {"final": final, "open": self.open, "in_flight": self.in_flight, "completed": self.completed,
                "failed": self.failed, "early": self.early, "dropped": self.dropped, "words": self.words,
                "connect_errors": self.connect_errors, "time": time.time()}


def worker_main(args):
    raise_descriptor_limit()
    # The load generator yields to the server and the probe when they share cores, so that the
    # probe times the server rather than the generator's own run queue.
    os.nice(args.worker_nice)
    asyncio.run(Worker(args).run(args.ramp_until, args.stop_at))


# MARK: the probe: plain requests, timed


def probe(port, path, model, until, latencies, errors):
    body = request(path, chat(model, PROBE_MESSAGE, False))
    connection = None
    while time.time() < until:
        started = time.monotonic()
        try:
            if connection is None:
                connection = socket.create_connection(("127.0.0.1", port), timeout=10)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.sendall(body)
            response = read_response(connection)
            if not response.startswith(b"HTTP/1.1 200"):
                errors.append(response[:80])
            latencies.append(time.monotonic() - started)
        except OSError as error:
            errors.append(str(error))
            connection = None
        time.sleep(0.02)
    if connection:
        connection.close()


def read_response(connection):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    if length is None:  # chunked
        while not body.endswith(b"0\r\n\r\n"):
            body += connection.recv(65536)
    else:
        while len(body) < length:
            body += connection.recv(65536)
    return head


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# MARK: one run against one server


def run(name, pid, port, args, path, stream_model, probe_model, minimum_ms, expect_done):
    now = time.time()
    ramp_seconds = 2 * args.streams / args.rate + 3  # room for niced clients on busy cores
    hold_from = now + ramp_seconds
    stop_at = hold_from + args.hold
    shares = [args.streams // args.workers + (1 if i < args.streams % args.workers else 0) for i in range(args.workers)]
    workers = [subprocess.Popen(
        [sys.executable, __file__, "--worker", "--port", str(port), "--count", str(share), "--path", path,
         "--model", stream_model, "--rate", str(max(1, args.rate // args.workers)), "--minimum-ms", str(minimum_ms),
         "--ramp-until", str(hold_from), "--stop-at", str(stop_at), "--worker-nice", str(args.worker_nice)] + (["--expect-done"] if expect_done else []),
        stdout=subprocess.PIPE, text=True) for share in shares if share]
    latest = [None] * len(workers)
    samples = []

    def read(index, process):
        for line in process.stdout:
            report = json.loads(line)
            latest[index] = report
            if hold_from <= report["time"] <= stop_at and not report["final"] and all(latest):
                samples.append(sum(r["open"] for r in latest))
    readers = [threading.Thread(target=read, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for reader in readers:
        reader.start()
    time.sleep(max(0, hold_from - time.time()))
    cpu_start, window_start = cpu_seconds(pid), time.monotonic()
    words_start = sum((r or {}).get("words", 0) for r in latest)
    latencies, errors = [], []
    probe(port, path, probe_model, stop_at, latencies, errors)
    window = time.monotonic() - window_start
    cpu = (cpu_seconds(pid) - cpu_start) / window
    words_end = sum((r or {}).get("words", 0) for r in latest)
    rss, hwm = read_memory(pid)
    for worker in workers:
        worker.wait(timeout=TIME_LIMIT_SECONDS)
    for reader in readers:
        reader.join(10)
    finals = [r for r in latest if r]
    total = {key: sum(r[key] for r in finals) for key in
             ("completed", "failed", "early", "dropped", "connect_errors", "open")}
    # Streams held: at each worker report in the hold, the open connections of all workers (each
    # always has a stream in flight or just asked for the next).
    held = samples or [0]
    latencies.sort()
    result = {
        "server": name, "streams": args.streams, "held_min": min(held), "held_median": int(statistics.median(held)),
        "words_per_second": round((words_end - words_start) / window), **total,
        "probe_requests": len(latencies), "probe_errors": len(errors),
        "probe_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
        "probe_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2) if latencies else None,
        "probe_max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "cpu_percent": round(cpu * 100, 1), "rss_mib": round(rss / 1024, 1), "hwm_mib": round(hwm / 1024, 1),
    }
    if errors:
        result["probe_first_error"] = str(errors[0])
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_command(command, cwd):
    port = free_port()
    # exec: the measured process is the server itself, not a shell around it.
    process = subprocess.Popen("exec " + command.format(port=port), shell=True, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the compared server did not listen on 127.0.0.1:{port} within 60 s: {command}")


def print_table(results):
    keys = list(results[0])
    width = max(len(k) for k in keys)
    print(f"{'':{width}}  " + "  ".join(f"{r['server']:>16}" for r in results))
    for key in keys[1:]:
        print(f"{key:{width}}  " + "  ".join(f"{str(r.get(key, '')):>16}" for r in results))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=str(ROOT / ".build" / "lambda" / "bootstrap"))
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds the streams are held and measured")
    parser.add_argument("--ttft-ms", type=int, default=2000)
    parser.add_argument("--tps", type=int, default=20)
    parser.add_argument("--rate", type=int, default=2000, help="new connections a second while ramping up")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="niceness of the client processes (default 10: they yield to the server and the probe)")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--compare-command", help="start another server; {port} is its free 127.0.0.1 port")
    parser.add_argument("--compare-cwd")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    # A worker process (internal).
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--port", "--count", "--minimum-ms"):
        parser.add_argument(name, type=int, help=argparse.SUPPRESS)
    for name in ("--ramp-until", "--stop-at"):
        parser.add_argument(name, type=float, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--expect-done", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_main(args)
    if not (1 <= args.streams <= 50_000) or not (1 <= args.hold <= 300) or args.workers < 1:
        raise SystemExit("error: --streams 1..50000, --hold 1..300 s, --workers >= 1")
    limit = raise_descriptor_limit()
    needed = args.streams // args.workers + 256
    if limit < needed or limit < args.streams + 256:
        raise SystemExit(f"error: RLIMIT_NOFILE hard limit {limit} is too low for {args.streams} streams")
    signal_deadline = threading.Timer(TIME_LIMIT_SECONDS, lambda: os._exit(2))
    signal_deadline.daemon = True
    signal_deadline.start()

    results = []
    pacing = 1000 * (STREAM_WORDS - 1) // args.tps
    server, port = start_local_server(args.bin, "load-streams", ELIZA_MAX_CONNECTIONS=args.streams + 256,
                                      ELIZA_IDLE_TIMEOUT_SECONDS=300)
    try:
        results.append(run(
            "eliza-lambda", server.pid, port, args, "/v1/chat/completions",
            f"eliza@ttft_ms={args.ttft_ms},tps={args.tps}", "eliza",
            minimum_ms=args.ttft_ms + pacing - 20, expect_done=True))
    finally:
        stop(server)
    if args.compare_command:
        process, port = start_command(args.compare_command, args.compare_cwd)
        try:
            # Its only way to hold a stream is `random_sleep` (1 to 10 s), and it streams only on
            # /chat/completions (without /v1), all words at once and without `data: [DONE]`.
            results.append(run("fake-endpoint", process.pid, port, args, "/chat/completions", "random_sleep",
                               "gpt-4o", minimum_ms=900, expect_done=False))
        finally:
            os.killpg(process.pid, 15)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # uvicorn waits for open connections to finish
                os.killpg(process.pid, 9)
                process.wait(10)
    print(f"{args.streams} streams, eliza-lambda at ttft_ms={args.ttft_ms} tps={args.tps} "
          f"({STREAM_WORDS} words), hold {args.hold:g} s, {args.workers} client processes, RLIMIT_NOFILE {limit}")
    print_table(results)
    if args.json:
        print(json.dumps(results))
    if args.check:
        ours = results[0]
        problems = [key for key in ("failed", "early", "dropped", "connect_errors", "probe_errors") if ours[key]]
        if ours["held_min"] < 0.95 * args.streams:
            problems.append(f"held_min {ours['held_min']} < 95 % of {args.streams}")
        if ours["completed"] == 0:
            problems.append("no stream completed")
        if problems:
            print("check failed: " + ", ".join(map(str, problems)), file=sys.stderr)
            return 1
        print("check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
