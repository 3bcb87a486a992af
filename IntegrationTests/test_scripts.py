"""Authors' scripts on the real binaries (issue 22): `eliza-lambda --script` and `ELIZA_SCRIPTS` serve a
file as a model (through the openai SDK, installed from PyPI); a script with errors stops start-up with
every diagnostic and a non-zero exit; an inline `eliza.script` answers through the SDK's `extra_body`;
the release `bootstrap` reads ELIZA_SCRIPTS as deploy.sh sets it, refuses a bad script with an init
error carrying its diagnostics, and answers an inline script inside an API Gateway event."""

import json
import subprocess

import openai
import pytest

from local_server import ROOT, Server, server_binary
from test_bootstrap import FakeRuntimeAPI, bootstrap, run_bootstrap  # noqa: F401 (bootstrap is a fixture)

# A small script of an author's, shared with the Swift tests: CAT is its keyword.
CATS = (ROOT / "Tests" / "Fixtures" / "catbot.eliza").read_text()
BROKEN = CATS.replace("(WHY CATS)))", "(WHY CATS))")


def ask(base_url, model, text, **extra):
    client = openai.OpenAI(base_url=base_url, api_key="sk-dummy", max_retries=0)
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **extra)
    return reply.choices[0].message.content


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_a_script_file_is_a_model(tmp_path, how):
    (tmp_path / "catbot.eliza").write_text(CATS)
    if how == "flag":
        server = Server(args=["--script", str(tmp_path / "catbot.eliza")])
    else:
        server = Server({"ELIZA_SCRIPTS": f"{tmp_path}:"})
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-dummy", max_retries=0)
        models = {m.id: m for m in client.models.list()}
        assert "catbot" in models and "eliza" in models
        assert models["catbot"].model_extra["eliza"]["greeting"] == "HELLO I AM CATBOT"
        assert ask(server.base_url, "catbot", "I have a cat") == "TELL ME MORE ABOUT CATS"
        assert ask(server.base_url, "eliza", "Men are all alike.") == "IN WHAT WAY"
        assert "catbot" in server.lines[0] or any("catbot" in line for line in server.lines)
    finally:
        server.stop()


def test_an_inline_script_through_the_sdk(tmp_path):
    server = Server()
    try:
        assert ask(server.base_url, "anything", "I have a cat", extra_body={"eliza": {"script": CATS}}) \
            == "TELL ME MORE ABOUT CATS"
        with pytest.raises(openai.BadRequestError) as error:
            ask(server.base_url, "anything", "Hi", extra_body={"eliza": {"script": BROKEN}})
        assert "script:2:1: error: expected ')' to close the list opened at 2:1" in str(error.value)
    finally:
        server.stop()


def test_inline_scripts_off(tmp_path):
    server = Server({"ELIZA_INLINE_SCRIPTS": "off"})
    try:
        with pytest.raises(openai.BadRequestError) as error:
            ask(server.base_url, "eliza", "Hi", extra_body={"eliza": {"script": CATS}})
        assert "ELIZA_INLINE_SCRIPTS=off" in str(error.value)
    finally:
        server.stop()


def start_up_failure(*args):
    """eliza-lambda run with `args`: it must exit 1 at once, having served nothing; its stderr lines."""
    result = subprocess.run([str(server_binary()), "--port", "0", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stdout == "", "nothing was served: no half-loaded catalog"
    lines = result.stderr.splitlines()
    assert lines[-1] == "eliza-lambda: not started: fix the scripts above"
    return lines


def test_a_script_with_errors_stops_start_up_with_every_diagnostic(tmp_path):
    (tmp_path / "bad.eliza").write_text(BROKEN)
    (tmp_path / "good.eliza").write_text(CATS)
    lines = start_up_failure("--script", str(tmp_path))
    assert f"{tmp_path}/bad.eliza:2:1: error: expected ')' to close the list opened at 2:1; the file ends inside it" \
        in lines


def test_a_name_taken_by_a_built_in_model_is_refused(tmp_path):
    (tmp_path / "eliza-doctor.eliza").write_text(CATS)
    lines = start_up_failure("--script", str(tmp_path / "eliza-doctor.eliza"))
    assert f"{tmp_path}/eliza-doctor.eliza:1:1: error: the model name 'eliza-doctor' is taken by a built-in model; " \
           "rename the file" in lines


def chat_event(model, text, **extra):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": text}], **extra})
    return json.dumps({
        "version": "2.0", "routeKey": "$default", "rawPath": "/v1/chat/completions", "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/v1/chat/completions", "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.7", "userAgent": "pytest"},
                           "requestId": "api-1", "stage": "$default"},
        "body": body, "isBase64Encoded": False}).encode()


def answer_through_bootstrap(bootstrap, event, environment):
    """The bootstrap's proxy response (status, parsed body) to one API Gateway event."""
    runtime = FakeRuntimeAPI([("req-1", event), (None, b"")])
    proc, _ = run_bootstrap(bootstrap, runtime, environment)
    try:
        assert runtime.done.wait(30), "the bootstrap did not come back for the next event"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        runtime.close()
    assert not runtime.init_errors
    answer = json.loads(runtime.answers["req-1"])
    return answer["statusCode"], json.loads(answer["body"])


def test_the_bootstrap_serves_the_scripts_of_eliza_scripts(bootstrap, tmp_path):  # noqa: F811
    # The layout deploy.sh ships: scripts/ next to bootstrap, ELIZA_SCRIPTS naming the folder.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "catbot.eliza").write_text(CATS)
    status, body = answer_through_bootstrap(bootstrap, chat_event("catbot", "I have a cat"),
                                            {"ELIZA_SCRIPTS": str(tmp_path / "scripts")})
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == "TELL ME MORE ABOUT CATS"


def test_the_bootstrap_reports_a_bad_script_as_an_init_error(bootstrap, tmp_path):  # noqa: F811
    (tmp_path / "bad.eliza").write_text(BROKEN)
    runtime = FakeRuntimeAPI([])
    proc, _ = run_bootstrap(bootstrap, runtime, {"ELIZA_SCRIPTS": str(tmp_path / "bad.eliza")})
    try:
        code = proc.wait(timeout=20)
    finally:
        runtime.close()
    assert code != 0 and runtime.next_calls == []
    (_, body), = runtime.init_errors
    assert f"{tmp_path}/bad.eliza:2:1: error: expected ')'" in body["errorMessage"]


@pytest.mark.parametrize("setting,expected", [(None, 200), ("off", 400)])
def test_the_bootstrap_answers_an_inline_script(bootstrap, setting, expected):  # noqa: F811
    """Stateless, so on Lambda too; ELIZA_INLINE_SCRIPTS=off (the template's InlineScripts) refuses it."""
    status, body = answer_through_bootstrap(bootstrap, chat_event("eliza", "I have a cat", eliza={"script": CATS}),
                                            {"ELIZA_INLINE_SCRIPTS": setting} if setting else {})
    assert status == expected, body
    if status == 200:
        assert body["choices"][0]["message"]["content"] == "TELL ME MORE ABOUT CATS"
    else:
        assert "ELIZA_INLINE_SCRIPTS=off" in body["error"]["message"]
