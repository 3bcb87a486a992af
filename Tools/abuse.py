#!/usr/bin/env python3
"""Slow and abusive clients against the release server on 127.0.0.1 (Python 3 standard library only).

Starts the server on port 0 with short timeouts (ELIZA_READ_TIMEOUT_SECONDS=2,
ELIZA_IDLE_TIMEOUT_SECONDS=3) and runs, one after another:

  idle         500 keep-alive connections, each after one answered request, held open; the server
               must close every one of them once the idle timeout has passed
  slowloris    20 clients sending their header one byte per second: 408 at the read timeout, closed
  mid-body     50 clients that send half a declared body and disconnect (FIN), 50 that reset (RST)
  big-header   a 20 KiB header section (limit 16 KiB) → 431 and close; a 9 KiB request line → 414
  extra-body   a body followed by bytes beyond Content-Length: the request is answered 200, the extra
               bytes are parsed as the next request, which is garbage → 400 and close
  no-reader    a client that pipelines requests and never reads: dropped at the read timeout

Throughout, a probe thread sends a normal chat request every 20 ms on its own keep-alive connection
and checks each answer; its p99 latency must stay under 100 ms. At the end every connection must be
freed: the server's descriptor count (/proc/PID/fd) returns to its baseline within a bounded wait.
Exits 1 on any failed check.

  python3 Tools/abuse.py [--bin PATH]
"""

import argparse
import json
import os
import resource
import select
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from processes import start_local_server, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
READ_TIMEOUT = 2
IDLE_TIMEOUT = 3
PROBE_INTERVAL = 0.02
PROBE_P99_LIMIT = 0.100
IDLE_CONNECTIONS = 500

CHAT_BODY = json.dumps({"model": "eliza", "messages": [{"role": "user", "content": "Men are all alike."}]}).encode()
CHAT = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(CHAT_BODY)).encode() + b"\r\n\r\n" + CHAT_BODY)
CHAT_REPLY = "IN WHAT WAY"


class Failed(Exception):
    pass


def read_response(sock, buffer=b""):
    """(status, headers, body, rest) of one Content-Length response; raises Failed on EOF."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise Failed(f"connection closed before a response (got {buffer[:100]!r})")
        buffer += data
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        data = sock.recv(65536)
        if not data:
            raise Failed("connection closed inside a response body")
        buffer += data
    return status, headers, buffer[:length], buffer[length:]


def expect_closed(sock, within):
    """Waits up to `within` seconds for EOF (or a reset) on `sock`; returns the seconds it took."""
    start = time.monotonic()
    sock.settimeout(within)
    try:
        while True:
            if not sock.recv(65536):
                break
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise Failed(f"the server did not close the connection within {within} s")
    return time.monotonic() - start


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def is_openai_error(body):
    doc = json.loads(body)
    return isinstance(doc.get("error"), dict) and bool(doc["error"].get("message"))


class Probe(threading.Thread):
    """Sends a normal chat request every PROBE_INTERVAL on one keep-alive connection and checks it."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.latencies = []
        self.failures = []

    def run(self):
        sock = None
        deadline = time.monotonic() + 600
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if sock is None:
                    sock = connect(self.port)
                sock.settimeout(2)
                start = time.perf_counter()
                sock.sendall(CHAT)
                status, headers, body, rest = read_response(sock)
                self.latencies.append(time.perf_counter() - start)
                content = json.loads(body)["choices"][0]["message"]["content"]
                if status != 200 or content != CHAT_REPLY or rest or headers.get("connection") != "keep-alive":
                    self.failures.append(f"probe: {status} {content!r} {headers}")
            except (OSError, Failed, ValueError, KeyError) as error:
                self.failures.append(f"probe: {error!r}")
                if sock is not None:
                    sock.close()
                sock = None
            self.stop.wait(PROBE_INTERVAL)
        if sock is not None:
            sock.close()


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def case_idle(port, pid, baseline):
    socks = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            sock = connect(port)
            sock.sendall(CHAT)
            status, headers, _, _ = read_response(sock)
            if status != 200 or headers.get("connection") != "keep-alive":
                raise Failed(f"idle: a keep-alive request got {status} {headers}")
            socks.append(sock)
        opened = fd_count(pid) - baseline
        if opened < IDLE_CONNECTIONS:
            raise Failed(f"idle: the server holds {opened} descriptors for {IDLE_CONNECTIONS} connections")
        start = time.monotonic()
        for sock in socks:
            expect_closed(sock, IDLE_TIMEOUT + 3 - (time.monotonic() - start))
        waited = time.monotonic() - start
        return (f"{IDLE_CONNECTIONS} keep-alive connections held ({opened} server fds); all closed by the "
                f"server {waited:.1f} s later (idle timeout {IDLE_TIMEOUT} s)")
    finally:
        for sock in socks:
            sock.close()


def slowloris_client(port, results, index):
    sock = connect(port)
    start = time.monotonic()
    sent = 0
    try:
        # One byte a second until the server answers (it must, at the read timeout) or 5 s past it.
        for byte in CHAT:
            if select.select([sock], [], [], 0)[0] or time.monotonic() - start > READ_TIMEOUT + 5:
                break
            sock.sendall(bytes([byte]))
            sent += 1
            select.select([sock], [], [], 1)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server gave up on us: read what it said
    try:
        sock.settimeout(READ_TIMEOUT + 5)
        status, headers, body, _ = read_response(sock)
        results[index] = (status, headers.get("connection"), is_openai_error(body), time.monotonic() - start, sent)
        expect_closed(sock, 3)
    except (OSError, Failed, ValueError) as error:
        results[index] = error
    finally:
        sock.close()


def case_slowloris(port):
    results = [None] * 20
    threads = [threading.Thread(target=slowloris_client, args=(port, results, i)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(READ_TIMEOUT + 20)
    for result in results:
        if not isinstance(result, tuple):
            raise Failed(f"slowloris: {result!r}")
        status, connection, error_object, took, sent = result
        # The server checks timeouts every tenth of the shortest timeout; allow 1.5 s of slack.
        if status != 408 or connection != "close" or not error_object or not READ_TIMEOUT <= took <= READ_TIMEOUT + 1.5:
            raise Failed(f"slowloris: got {result}, expected 408 and close after {READ_TIMEOUT} s")
    took = [r[3] for r in results]
    return (f"{len(results)} clients sending 1 byte/s: 408 + close after {min(took):.1f}-{max(took):.1f} s "
            f"(read timeout {READ_TIMEOUT} s), {results[0][4]} bytes sent each")


def case_mid_body(port, pid, baseline):
    body = CHAT_BODY + b" " * 1000
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    for reset in (False, True):
        for _ in range(50):
            sock = connect(port)
            sock.sendall(head + body[: len(body) // 2])
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
    # Freed at once (EOF or reset), not at the read timeout: +1 is the probe's connection.
    start = time.monotonic()
    while fd_count(pid) > baseline + 1 and time.monotonic() - start < 1:
        time.sleep(0.02)
    if fd_count(pid) > baseline + 1:
        raise Failed(f"mid-body: {fd_count(pid) - baseline - 1} connections still open 1 s after the clients left")
    return (f"50 clients closed (FIN) and 50 reset (RST) halfway through a declared body; "
            f"all freed within {time.monotonic() - start:.2f} s")


def case_big_header(port):
    checks = []
    for name, request, want in (
        ("header section of 20 KiB", b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n", 431),
        ("request line of 9 KiB", b"GET /v1/models?" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    ):
        sock = connect(port)
        try:
            sock.sendall(request)
            status, headers, body, _ = read_response(sock)
            if status != want or headers.get("connection") != "close" or not is_openai_error(body):
                raise Failed(f"big-header: {name}: {status} {headers} {body[:200]!r}, expected {want} and close")
            expect_closed(sock, 3)
        finally:
            sock.close()
        checks.append(f"{name} → {want} + close")
    return "; ".join(checks)


def case_extra_body(port):
    sock = connect(port)
    try:
        sock.sendall(CHAT + b"GARBAGE AFTER THE BODY\r\n\r\n")
        status, headers, body, rest = read_response(sock)
        content = json.loads(body)["choices"][0]["message"]["content"]
        if status != 200 or content != CHAT_REPLY or headers.get("connection") != "keep-alive":
            raise Failed(f"extra-body: the request itself got {status} {content!r} {headers}")
        status, headers, body, rest = read_response(sock, rest)
        if status != 400 or headers.get("connection") != "close" or not is_openai_error(body):
            raise Failed(f"extra-body: the extra bytes got {status} {headers} {body[:200]!r}, expected 400 and close")
        expect_closed(sock, 3)
    finally:
        sock.close()
    return "request answered 200 (keep-alive); the bytes after Content-Length → 400 + close"


def case_no_reader(port):
    sock = connect(port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sent = 0
    start = time.monotonic()
    try:
        sock.settimeout(0.5)
        # Pipeline until the server stops reading us (its send buffer and our receive buffer fill up).
        while time.monotonic() - start < READ_TIMEOUT:
            try:
                sock.sendall(CHAT * 50)
                sent += 50
            except socket.timeout:
                break
        # Now the server waits to write; it must drop us at the read timeout. Then reading gives the
        # answers that were in flight followed by EOF or a reset.
        time.sleep(READ_TIMEOUT + 1.5)
        sock.settimeout(5)
        received = 0
        try:
            while True:
                data = sock.recv(1 << 20)
                if not data:
                    break
                received += len(data)
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise Failed("no-reader: the server did not drop a client that never reads")
    finally:
        sock.close()
    return f"a client pipelining {sent} requests without reading was dropped ({received} response bytes were in flight)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="server binary (default .build/lambda/bootstrap, from `make lambda`)")
    args = parser.parse_args()
    binary = args.bin or str(ROOT / ".build" / "lambda" / "bootstrap")
    if not Path(binary).exists():
        raise SystemExit(f"abuse: {binary} is missing: run `make lambda` or pass --bin")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE_CONNECTIONS + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

    proc, port = start_local_server(binary, "abuse", ELIZA_READ_TIMEOUT_SECONDS=READ_TIMEOUT,
                                     ELIZA_IDLE_TIMEOUT_SECONDS=IDLE_TIMEOUT)
    failures = []
    try:
        # Baseline: the server after one ordinary request, with no connection open.
        sock = connect(port)
        sock.sendall(CHAT)
        read_response(sock)
        sock.close()
        time.sleep(0.2)
        baseline = fd_count(proc.pid)
        print(f"server pid {proc.pid}, port {port}, read timeout {READ_TIMEOUT} s, idle timeout {IDLE_TIMEOUT} s, "
              f"baseline {baseline} fds")

        probe = Probe(port)
        probe.start()
        cases = [("idle", lambda: case_idle(port, proc.pid, baseline)), ("slowloris", lambda: case_slowloris(port)),
                 ("mid-body", lambda: case_mid_body(port, proc.pid, baseline)), ("big-header", lambda: case_big_header(port)),
                 ("extra-body", lambda: case_extra_body(port)), ("no-reader", lambda: case_no_reader(port))]
        for name, case in cases:
            start = time.monotonic()
            try:
                print(f"ok   {name:<11} {case()} [{time.monotonic() - start:.1f} s]")
            except (Failed, OSError, ValueError, KeyError) as error:
                failures.append(f"{name}: {error}")
                print(f"FAIL {name:<11} {error!r}")
            if proc.poll() is not None:
                failures.append(f"the server exited with {proc.returncode}")
                break
        probe.stop.set()
        probe.join(5)

        latencies = sorted(probe.latencies)
        p50 = latencies[len(latencies) // 2] if latencies else float("nan")
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("inf")
        ok = not probe.failures and p99 < PROBE_P99_LIMIT and len(latencies) > 100
        print(f"{'ok  ' if ok else 'FAIL'} probe       {len(latencies)} chat requests during the cases, "
              f"{len(probe.failures)} wrong or failed; p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
              f"max {latencies[-1] * 1000 if latencies else float('nan'):.2f} ms (limit p99 < {PROBE_P99_LIMIT * 1000:.0f} ms)")
        for failure in probe.failures[:5]:
            print("     ", failure)
        if not ok:
            failures.append("probe")

        # Every connection freed: linger (≤ 2 s) and timeouts (sweep ≤ 10 % late) bound the wait.
        start = time.monotonic()
        while fd_count(proc.pid) > baseline and time.monotonic() - start < READ_TIMEOUT + IDLE_TIMEOUT + 5:
            time.sleep(0.1)
        count = fd_count(proc.pid)
        ok = count <= baseline
        print(f"{'ok  ' if ok else 'FAIL'} fds         {count} server fds after {time.monotonic() - start:.1f} s "
              f"(baseline {baseline})")
        if not ok:
            failures.append(f"{count - baseline} descriptors still open")
        if proc.poll() is not None:
            failures.append(f"the server exited with {proc.returncode}")
    finally:
        stop(proc)
    if failures:
        print("FAIL:", "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
