"""Tools/smoke-aws.sh without AWS: it refuses to start without credentials, its --dry-run lists the
commands in order, its teardown is guaranteed by a trap, and a full run against fake sam/aws and a
fake ELIZA server on 127.0.0.1 reports PASS/FAIL per step and deletes the stack (also on Ctrl-C)."""

import json
import os
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, calls, clean_env, make_fakes, require_no_system_sam

SMOKE = ROOT / "Tools" / "smoke-aws.sh"
KEY = "smoke-Key_123"


def smoke(env, *args, timeout=120):
    return subprocess.run([str(SMOKE), *args], env=env, capture_output=True, text=True, timeout=timeout)


# --- refusing to run ---------------------------------------------------------------------------------

def test_without_credentials_exits_2_in_one_line_and_creates_nothing(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = smoke(env, "--region", "us-east-1", "--api-key", KEY, "--my-ip")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "credentials" in lines[0], result.stderr
    assert result.stdout == ""
    log = calls(env)
    assert any(line.startswith("aws sts get-caller-identity") for line in log)
    assert not any(line.startswith(("sam deploy", "sam build", "curl", "aws cloudformation"))
                   for line in log), log


def test_without_sam_exits_2(tmp_path):
    require_no_system_sam()
    fake_bin = make_fakes(tmp_path / "bin", names=("aws", "curl"))
    env = clean_env(tmp_path, fake_bin, FAKE_AWS_CREDENTIALS="1")
    result = smoke(env, "--region", "us-east-1")
    assert result.returncode == 2
    assert "sam" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert calls(env) == []


# --- dry run -----------------------------------------------------------------------------------------

def dry_run_commands(tmp_path, fake_bin, *args):
    env = clean_env(tmp_path, fake_bin)  # no credentials: a dry run must not need them
    result = smoke(env, "--dry-run", "--region", "eu-west-1", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls(env) == [], "a dry run must not run aws, sam or curl"
    return result, [line[2:] for line in result.stdout.splitlines() if line.startswith("+ ")]


def index_of(lines, pattern, start=0):
    for i in range(start, len(lines)):
        if re.search(pattern, lines[i]):
            return i
    raise AssertionError(f"{pattern!r} not found after line {start} in {lines}")


def test_dry_run_lists_deploy_curls_logs_and_delete_in_order(tmp_path, fake_bin):
    result, lines = dry_run_commands(tmp_path, fake_bin, "--api-key", KEY)
    deploy = index_of(lines, r"^sam deploy ")
    stack = re.search(r"--stack-name (eliza-smoke-\d{14})\b", lines[deploy]).group(1)
    chat = index_of(lines, r"^curl .*/v1/chat/completions$", deploy)
    stream = index_of(lines, r'^curl .*"stream":true.*/v1/chat/completions$', chat + 1)
    models = index_of(lines, r"^curl .*/v1/models$", stream + 1)
    wrong_key = index_of(lines, r"^curl .*Bearer wrong-key", models + 1)
    litellm = index_of(lines, r"python3 -c", wrong_key + 1)
    logs = index_of(lines, rf"^aws logs tail /aws/lambda/{stack} --since 10m", litellm + 1)
    delete = index_of(lines, rf"^sam delete --stack-name {stack} .*--no-prompts", logs + 1)
    assert delete == len(lines) - 1
    assert index_of(lines, r"^aws sts get-caller-identity") < deploy
    assert "https://API_ID.execute-api.eu-west-1.amazonaws.com/v1" in result.stdout
    assert "checkip" not in result.stdout, "--my-ip was not given"
    assert KEY not in result.stdout + result.stderr
    assert 'ApiKey="***"' in parameters_line(result.stdout)
    assert_key_only_in_a_header_file(lines)


def parameters_line(stdout):
    (line,) = [line for line in stdout.splitlines() if line.startswith("  parameters in that file: ")]
    return line


def assert_key_only_in_a_header_file(lines):
    """curl gets the real key with -H @file; only the deliberately wrong key is on a command line."""
    curls = [line for line in lines if line.startswith("curl ") and "checkip" not in line]
    assert curls
    for line in curls:
        if "wrong-key" not in line:
            assert "Authorization" not in line and re.search(r" -H @\S+/authorization ", line), line


def test_dry_run_with_my_ip_only_shows_the_lookup(tmp_path, fake_bin):
    result, lines = dry_run_commands(tmp_path, fake_bin, "--my-ip")
    lookup = index_of(lines, r"^curl .*https://checkip\.amazonaws\.com")
    deploy = index_of(lines, r"^sam deploy ")
    assert lookup < deploy
    parameters = parameters_line(result.stdout)
    assert 'AllowedCallerCIDR="MY_PUBLIC_IP/32"' in parameters
    # Without --api-key the smoke stack still gets a key, generated, masked, checked with a wrong one.
    assert 'ApiKey="***"' in parameters
    assert any("wrong-key" in line for line in lines)
    assert_key_only_in_a_header_file(lines)


def test_teardown_is_guaranteed_by_a_trap():
    text = SMOKE.read_text()
    assert re.search(r"^trap cleanup EXIT$", text, re.M)
    assert re.search(r"^trap '[^']*exit[^']*' INT$", text, re.M)
    assert re.search(r"^trap '[^']*exit[^']*' TERM$", text, re.M)
    cleanup = text[text.index("cleanup() {"):]
    assert "sam delete" in cleanup[: cleanup.index("\n}\n")]
    # The flag that arms the teardown is set before the deploy runs, not after it succeeds.
    assert text.index("deploy_started=1") < text.index('"${deploy_cmd[@]}"')


# --- full runs against fakes and a fake ELIZA on 127.0.0.1 -------------------------------------------

class FakeEliza(BaseHTTPRequestHandler):
    """Just enough of the server's HTTP surface for the smoke steps."""

    api_key = KEY
    # When set, the key is the one deploy.sh handed to (fake) sam, read from this copy of its file.
    key_from = None
    broken = False

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        key = self.api_key
        if self.key_from is not None:
            key = re.search(r'ApiKey=\\"([^"\\]+)\\"', self.key_from.read_text()).group(1)
        if self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self.reply(401, json.dumps({"error": {"message": "bad key", "type": "authentication_error",
                                              "param": None, "code": "invalid_api_key"}}))
        return False

    def do_GET(self):
        if self.path == "/v1/models" and self.authorized():
            self.reply(200, json.dumps({"object": "list", "data": [
                {"id": "eliza", "object": "model", "created": 0, "owned_by": "eliza-lambda"}]}))

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/chat/completions" or not self.authorized():
            return
        if self.broken:
            self.reply(500, json.dumps({"error": {"message": "boom", "type": "server_error",
                                                  "param": None, "code": None}}))
        elif body.get("stream"):
            chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                     "model": "eliza", "choices": [{"index": 0, "delta": {"content": "IN WHAT WAY"},
                                                    "finish_reason": None}]}
            self.reply(200, f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n", "text/event-stream")
        else:
            self.reply(200, json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "eliza",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "IN WHAT WAY"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}}))


@pytest.fixture
def eliza_server():
    handler = type("Handler", (FakeEliza,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def full_run_env(tmp_path, server, **extra):
    fake_bin = make_fakes(tmp_path / "bin", names=("aws", "sam"))  # the real curl, to 127.0.0.1 only
    logs = tmp_path / "logs.txt"
    logs.write_text(
        '2026-01-01T00:00:00.000000+00:00 {"time":"2026-01-01T00:00:00Z","type":"platform.start"}\n'
        '2026-01-01T00:00:00.100000+00:00 {"timestamp":"2026-01-01T00:00:00.100Z","level":"INFO",'
        '"message":"request","requestId":"r-1","callerIp":"127.0.0.1","status":200}\n')
    port = server.server_address[1]
    outputs = (f"ApiBaseUrl\\thttp://127.0.0.1:{port}/v1\\n"
               "FunctionLogGroupName\\t/aws/lambda/from-outputs\\n")
    return clean_env(tmp_path, fake_bin, FAKE_AWS_CREDENTIALS="1", FAKE_OUTPUTS=outputs,
                     FAKE_LOGS=str(logs), SMOKE_PYTHON=str(tmp_path / "no-such-python"), **extra)


def test_full_run_passes_every_step_and_deletes_the_stack(tmp_path, eliza_server):
    env = full_run_env(tmp_path, eliza_server)
    result = smoke(env, "--region", "eu-west-1", "--api-key", KEY)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for step in ("chat-completion", "chat-completion-stream", "models", "wrong-key-401", "logs"):
        assert f"PASS {step}\n" in out, out
    assert "SKIP litellm:" in out and "cannot import litellm" in out
    assert "FAIL" not in out
    log = calls(env)
    assert log[-1].startswith("sam delete --stack-name eliza-smoke-") and "--no-prompts" in log[-1]
    assert "aws logs tail /aws/lambda/from-outputs --since 10m" in "\n".join(log)
    assert re.search(r"deleted stack eliza-smoke-\d{14}", out)
    assert KEY not in out + result.stderr
    assert KEY not in "\n".join(log), "the key is on no aws or sam command line"


def test_full_run_without_a_key_generates_one_and_uses_it(tmp_path, eliza_server):
    env = full_run_env(tmp_path, eliza_server)
    sam_config = Path(env["FAKE_LOG"] + ".samconfig.toml")
    eliza_server.RequestHandlerClass.key_from = sam_config
    result = smoke(env, "--region", "eu-west-1")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for step in ("chat-completion", "chat-completion-stream", "models", "wrong-key-401", "logs"):
        assert f"PASS {step}\n" in out, out
    key = re.search(r'ApiKey=\\"(eliza-[0-9a-f]{48})\\"', sam_config.read_text()).group(1)
    assert key not in out + result.stderr + "\n".join(calls(env))


def test_a_failing_step_exits_1_and_still_deletes_the_stack(tmp_path, eliza_server):
    eliza_server.RequestHandlerClass.broken = True
    env = full_run_env(tmp_path, eliza_server)
    result = smoke(env, "--region", "eu-west-1", "--api-key", KEY)
    assert result.returncode == 1
    assert "FAIL chat-completion\n" in result.stdout and "PASS models\n" in result.stdout
    assert calls(env)[-1].startswith("sam delete ")
    assert "deleted stack" in result.stdout


def test_ctrl_c_during_deploy_deletes_the_stack(tmp_path, eliza_server):
    env = full_run_env(tmp_path, eliza_server, FAKE_SAM_DEPLOY_SLEEP="30")
    process = subprocess.Popen([str(SMOKE), "--region", "eu-west-1"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while not any(line.startswith("sam deploy") for line in calls(env)):
        assert time.monotonic() < deadline and process.poll() is None, "sam deploy never started"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground process group
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130
    assert calls(env)[-1].startswith("sam delete ")
    assert "deleted stack" in stdout
