"""The pytest plugin as a user meets it: inner pytest sessions (pytester, in subprocesses, so the plugin is
loaded through its pytest11 entry point exactly as after `pip install`)."""

import signal
import socket
from importlib import metadata
from pathlib import Path

import pytest

# Inner test files use the standard library only.
HELPERS = '''
import json, os, urllib.error, urllib.request
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def status(url, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with DIRECT.open(urllib.request.Request(url, headers=headers), timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

def chat(base_url, text):
    body = json.dumps({"model": "eliza", "messages": [{"role": "user", "content": text}]}).encode()
    request = urllib.request.Request(base_url + "/chat/completions", data=body)
    with DIRECT.open(request, timeout=20) as response:
        return json.load(response)["choices"][0]["message"]["content"]
'''


def inner(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_the_plugin_is_registered_by_its_entry_point(pytester):
    (plugin,) = [e for e in metadata.entry_points(group="pytest11") if e.name == "eliza_lambda"]
    assert plugin.value == "eliza_lambda.pytest_plugin"
    pytester.makepyfile("def test_uses_it(eliza_server):\n    pass\n")
    inner(pytester, "-p", "no:eliza_lambda").assert_outcomes(errors=1)
    inner(pytester).assert_outcomes(passed=1)


def test_a_failing_test_reports_the_server_log_of_that_test_only(pytester, monkeypatch):
    # The default format, readable in the report: no format variable inherited.
    monkeypatch.delenv("ELIZA_LOG_FORMAT", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    pytester.makepyfile(HELPERS + '''
def test_passes(eliza_server):
    assert status(eliza_server.base_url + "/models") == 200
    eliza_server.wait_for_log()  # so that this request's log line cannot land in the next test's

def test_fails(eliza_server):
    assert chat(eliza_server.base_url, "My mother takes care of me.") == "SOMETHING ELSE"

def test_fails_without_the_server():
    assert False
''')
    result = inner(pytester)
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str()
    assert output.count("eliza-lambda server log (call)") == 1
    section = output.split("eliza-lambda server log (call)", 1)[1].split("short test summary", 1)[0]
    # The access log line of this test's request (replies are not logged by default: they quote the user).
    assert " INFO  request requestId=" in section
    assert " path=/v1/chat/completions " in section and " status=200 " in section
    assert "path=/v1/models" not in section  # the earlier test's request is not this test's log
    assert "running); its output since this test began" in section
    assert "test_fails_without_the_server" in section  # the next test's report follows, without a log


@pytest.mark.parametrize("ini, args, key", [
    (None, ["--eliza-api-key", "sk-option"], "sk-option"),
    ("sk-ini", [], "sk-ini"),
    ("sk-ini", ["--eliza-api-key", "sk-option"], "sk-option"),
])
def test_the_server_can_require_a_key(pytester, monkeypatch, ini, args, key):
    if ini:
        pytester.makeini(f"[pytest]\neliza_api_key = {ini}\n")
    monkeypatch.setenv("EXPECTED_KEY", key)
    pytester.makepyfile(HELPERS + '''
def test_key(eliza_server):
    assert eliza_server.api_key == os.environ["EXPECTED_KEY"]
    assert status(eliza_server.base_url + "/models") == 401
    assert status(eliza_server.base_url + "/models", eliza_server.api_key) == 200
''')
    inner(pytester, *args).assert_outcomes(passed=1)


def test_one_server_for_the_session_stopped_at_its_end(pytester):
    record = pytester.path / "servers.txt"
    test = f'''
def test_record(eliza_server):
    with open({str(record)!r}, "a") as f:
        f.write(f"{{eliza_server.pid}} {{eliza_server.port}}\\n")
'''
    pytester.makepyfile(test_one=test, test_two=test)
    inner(pytester).assert_outcomes(passed=2)
    (pid, port), second = [line.split() for line in record.read_text().splitlines()]
    assert second == [pid, port]
    assert not Path(f"/proc/{pid}").exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=5)


def test_a_server_that_cannot_start_errors_the_tests_that_use_it(pytester, monkeypatch):
    monkeypatch.setenv("ELIZA_MAX_TRANSFORMATIONS", "0")
    pytester.makepyfile("def test_a(eliza_server):\n    pass\n\ndef test_b(eliza_server):\n    pass\n")
    result = inner(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*ServerError: eliza-lambda exited with status 1 before it was ready*",
                                 "*ELIZA_MAX_TRANSFORMATIONS='0' must be a whole number from 1 to 100000000*"])


def test_a_server_that_dies_during_the_session_is_an_error_at_its_end(pytester):
    pytester.makepyfile(f'''
import os, time
def test_kills_it(eliza_server):
    os.kill(eliza_server.pid, {int(signal.SIGKILL)})
    deadline = time.monotonic() + 10
    while eliza_server.returncode is None and time.monotonic() < deadline:
        time.sleep(0.01)
''')
    result = inner(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*ServerError: eliza-lambda exited during the session (status -{int(signal.SIGKILL)})*"])
