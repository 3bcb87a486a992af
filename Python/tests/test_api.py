import json
"""The installed wheel's command and Python API: `eliza-lambda` / `python -m eliza_lambda` are the binary
itself (arguments, environment, output, exit status, signals), and `serve()` starts and stops it."""

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

import eliza_lambda
from support import chat, request

BINARY = eliza_lambda.binary_path()
VERSION = metadata.version("eliza-lambda")
COMMAND = shutil.which("eliza-lambda")
# The same invocation three ways: the installed command, `python -m`, the bundled binary directly.
WAYS = {"command": [COMMAND], "python -m": [sys.executable, "-m", "eliza_lambda"], "binary": [str(BINARY)]}
SERVER_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("ELIZA_", "AWS_LAMBDA_"))}


def run(argv, **env):
    return subprocess.run(argv, env=dict(SERVER_ENV, **env), capture_output=True, text=True, timeout=30)


def test_it_is_the_installed_wheel_not_the_sources():
    purelib = Path(sysconfig.get_paths()["purelib"])
    assert Path(eliza_lambda.__file__).parent == purelib / "eliza_lambda"
    assert BINARY == purelib / "eliza_lambda" / "bin" / "eliza-lambda"
    assert os.access(BINARY, os.X_OK)
    assert COMMAND == str(Path(sys.executable).parent / "eliza-lambda")
    assert eliza_lambda.__version__ == VERSION


@pytest.mark.parametrize("argv, env, status, stdout, stderr", [
    (["--version"], {}, 0, f"eliza-lambda {VERSION} (ELIZA 1966", ""),
    (["--help"], {}, 0, "USAGE: eliza-lambda [--host HOST] [--port PORT]", ""),
    (["--bogus"], {}, 64, "", "error: unknown option '--bogus'\nsee 'eliza-lambda --help'\n"),
    (["--port"], {}, 64, "", "error: --port needs a value"),
    (["--port", "70000"], {}, 1, "", "invalid configuration: --port='70000' is not a port number"),
    ([], {"ELIZA_PORT": "nope"}, 1, "", "invalid configuration: ELIZA_PORT='nope' is not a port number"),
    ([], {"ELIZA_MAX_TRANSFORMATIONS": "0"}, 1, "", "ELIZA_MAX_TRANSFORMATIONS='0' must be a whole number"),
])
def test_command_and_module_behave_exactly_like_the_binary(argv, env, status, stdout, stderr):
    results = {way: run(prefix + argv, **env) for way, prefix in WAYS.items()}
    direct = results["binary"]
    assert direct.returncode == status
    assert stdout in direct.stdout and stderr in direct.stderr
    for way, result in results.items():
        assert (result.returncode, result.stdout, result.stderr) == (
            direct.returncode, direct.stdout, direct.stderr), way


def signal_masks(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: v for k, v in re.findall(r"^(Sig(?:Ign|Blk|Cgt)):\s*(\w+)$", status, re.M)}


def start(argv, **env):
    """Starts a local server through `argv`; returns (process, base URL) once it listens."""
    process = subprocess.Popen(argv, env=dict(SERVER_ENV, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/v1", line)
    assert match, line
    return process, match.group(0)


@pytest.mark.parametrize("way", ["command", "python -m"])
def test_the_command_execs_the_binary_with_its_signals(way):
    """No Python stays in between: the process is the binary (its PID, its /proc/PID/exe), it starts
    with the signal dispositions the binary gets from subprocess, and signals end it as they end the
    binary (SIGTERM, SIGINT: a clean shutdown, 0; SIGHUP, which it does not handle: death by SIGHUP)."""
    reference, _ = start([str(BINARY), "--port", "0"])
    try:
        for sig, status in [(signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGHUP, -signal.SIGHUP)]:
            process, base_url = start(WAYS[way] + ["--port", "0"])
            try:
                assert Path(f"/proc/{process.pid}/exe").resolve() == BINARY
                assert signal_masks(process.pid) == signal_masks(reference.pid)
                assert chat(base_url, "Men are all alike.") == "IN WHAT WAY"
                process.send_signal(sig)
                assert process.wait(10) == status, sig
            finally:
                process.kill()
                process.wait()
    finally:
        reference.kill()
        reference.wait()


def test_the_command_passes_flags_and_environment_through():
    for argv, env in [(["--api-key", "sk-flag"], {}), ([], {"ELIZA_API_KEY": "sk-flag"})]:
        process, base_url = start(WAYS["command"] + ["--port", "0", *argv], **env)
        try:
            assert request(base_url + "/models")[0] == 401
            assert request(base_url + "/models", key="sk-flag")[0] == 200
        finally:
            process.terminate()
            assert process.wait(10) == 0


def test_serve_starts_and_stops_the_server():
    # The default log format (no format variable inherited): readable text lines.
    with eliza_lambda.serve(ELIZA_LOG_FORMAT=None, AWS_LAMBDA_LOG_FORMAT=None) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.base_url == server.url + "/v1" and server.api_key is None
        assert Path(f"/proc/{server.pid}/exe").resolve() == BINARY
        assert chat(server.base_url, "Men are all alike.") == "IN WHAT WAY"
        assert server.returncode is None
    assert server.returncode == 0  # SIGTERM: a clean shutdown
    assert re.search(r"^\S+Z INFO  shutting down signal=15$", server.log, re.M), server.log
    # The access log line of that request (its fields: see docs/configuration.md, "Logs").
    line = next(line for line in server.log.splitlines() if " path=/v1/chat/completions " in line)
    assert re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  request requestId=local-\S+ callerIp=127\.0\.0\.1 ", line), line
    assert " status=200 " in line and " model=eliza " in line
    assert server.stop() == 0  # again: the same status


def test_serve_writes_json_log_lines_when_asked():
    with eliza_lambda.serve(ELIZA_LOG_FORMAT="json", AWS_LAMBDA_LOG_FORMAT=None) as server:
        assert chat(server.base_url, "Men are all alike.") == "IN WHAT WAY"
    lines = [json.loads(line) for line in server.log.splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line.get("path") == "/v1/chat/completions"]
    assert (access["level"], access["message"], access["status"]) == ("INFO", "request", 200)
    assert {"message": "shutting down", "signal": 15}.items() <= lines[-1].items()


def test_serve_with_a_key_and_environment_variables():
    with eliza_lambda.serve(api_key="sk-test", ELIZA_MAX_TRANSFORMATIONS="1", LOG_LEVEL="ERROR",
                            ELIZA_LOG_FORMAT="json") as server:
        assert server.api_key == "sk-test"
        assert request(server.base_url + "/models")[0] == 401
        status, body = request(server.base_url + "/chat/completions",
                               {"model": "eliza", "messages": [{"role": "user", "content": "Men are all alike."}]},
                               key="sk-test")
        assert status == 422, body  # one transformation is not enough for any reply
        assert '"message":"request"' not in server.log  # LOG_LEVEL=ERROR: no access log


def test_serve_ignores_what_would_change_its_address_key_or_mode(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")  # would run the Lambda loop instead
    monkeypatch.setenv("ELIZA_API_KEY", "sk-inherited")
    monkeypatch.setenv("ELIZA_HOST", "0.0.0.0")
    monkeypatch.setenv("ELIZA_PORT", "1")
    with eliza_lambda.serve() as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.port != 1
        assert chat(server.base_url, "Men are all alike.") == "IN WHAT WAY"  # no key required
    for name in ("ELIZA_HOST", "ELIZA_PORT", "ELIZA_API_KEY"):
        with pytest.raises(TypeError, match=name):
            eliza_lambda.serve(**{name: "x"})


def test_serve_raises_with_the_output_when_the_server_cannot_start():
    with pytest.raises(eliza_lambda.ServerError) as caught:
        eliza_lambda.serve(ELIZA_MAX_TRANSFORMATIONS="0")
    assert caught.value.returncode == 1
    assert "exited with status 1 before it was ready" in str(caught.value)
    assert "ELIZA_MAX_TRANSFORMATIONS='0' must be a whole number from 1 to 100000000" in caught.value.output
    assert caught.value.output in str(caught.value)


def test_serve_times_out_and_kills_a_server_that_never_listens(tmp_path):
    silent = tmp_path / "silent-server"
    silent.write_text(f"#!/bin/sh\necho $$ >{tmp_path}/pid\necho starting up\nexec sleep 60\n")
    silent.chmod(0o755)
    with pytest.raises(eliza_lambda.ServerError) as caught:
        eliza_lambda.serve(binary=silent, timeout=1)
    assert "did not print its base URL within 1 s" in str(caught.value)
    assert caught.value.output == "starting up\n" and caught.value.returncode is None
    pid = (tmp_path / "pid").read_text().strip()
    assert not Path(f"/proc/{pid}").exists(), "the server was left running"


def test_stop_kills_a_server_that_does_not_exit_on_sigterm():
    server = eliza_lambda.serve()
    os.kill(server.pid, signal.SIGSTOP)  # a stopped process cannot handle SIGTERM
    assert server.stop(timeout=0.5) == -signal.SIGKILL
    assert server.returncode == -signal.SIGKILL


def test_the_log_keeps_the_last_lines_with_positions():
    with eliza_lambda.serve(ELIZA_LOG_FORMAT="text") as server:
        server.wait_for_log()  # serve()'s own GET /health
        start_position = server.log_position
        assert chat(server.base_url, "Men are all alike.") == "IN WHAT WAY"
        request(server.url + "/health")
        server.wait_for_log()
        new = server.log_since(start_position)
        assert len(new) == 2 and " path=/v1/chat/completions " in new[0] and " path=/health " in new[1]
        assert server.log_since(server.log_position) == []
