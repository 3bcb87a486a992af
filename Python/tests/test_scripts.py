"""A new script with only the wheel (issue 22): `elizac check`, `elizac chat` and `chat --trace` (the
console script), `serve(scripts=[...])`, the plugin's `--eliza-script` and ini `eliza_scripts`, and an
inline script through the served API. Every example of docs/authoring.md runs here too
(test_authoring_guide.py)."""

import shutil
import subprocess

import pytest

import eliza_lambda
from support import ROOT, request

# A small script of an author's, shared with the Swift tests: CAT is its keyword.
CATS = (ROOT / "Tests" / "Fixtures" / "catbot.eliza").read_text()
BROKEN = CATS.replace("(WHY CATS)))", "(WHY CATS))")


def elizac(*args, stdin=""):
    command = shutil.which("elizac")
    assert command, "the wheel's elizac console script is not on PATH"
    return subprocess.run([command, *args], input=stdin, capture_output=True, text=True, timeout=60)


def reply(base_url, model, text, **extra):
    status, body = request(base_url + "/chat/completions",
                           {"model": model, "messages": [{"role": "user", "content": text}], **extra})
    assert status == 200, body
    return body["choices"][0]["message"]["content"]


def test_elizac_checks_a_new_script(tmp_path):
    (tmp_path / "catbot.eliza").write_text(CATS)
    (tmp_path / "broken.eliza").write_text(BROKEN)
    ok = elizac("check", str(tmp_path / "catbot.eliza"))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    bad = elizac("check", str(tmp_path / "broken.eliza"))
    assert bad.returncode == 1
    assert bad.stderr == (f"{tmp_path}/broken.eliza:2:1: error: expected ')' to close the list opened at 2:1; "
                          "the file ends inside it\n"
                          f"{tmp_path}/broken.eliza:4:1: note: a rule seems to start here, inside that list; "
                          "is a ')' missing before it?\n")
    assert elizac("--version").stdout.startswith("elizac ")
    assert elizac("frobnicate").returncode == 64


def test_elizac_chats_with_and_traces_a_new_script(tmp_path):
    (tmp_path / "catbot.eliza").write_text(CATS)
    chat = elizac("chat", str(tmp_path / "catbot.eliza"), stdin="I have a cat\nxyzzy\n")
    assert chat.returncode == 0
    assert chat.stdout == "HELLO I AM CATBOT\nTELL ME MORE ABOUT CATS\nGO ON\n"
    traced = elizac("chat", "--trace", str(tmp_path / "catbot.eliza"), stdin="I have a cat\n")
    assert traced.stdout == "HELLO I AM CATBOT\nTELL ME MORE ABOUT CATS\n"
    trace = traced.stderr.splitlines()
    assert trace and all(line.startswith("trace: ") for line in trace)
    assert any("CAT" in line for line in trace)


def test_serve_with_scripts_serves_a_new_script(tmp_path):
    (tmp_path / "catbot.eliza").write_text(CATS)
    with eliza_lambda.serve(scripts=[tmp_path / "catbot.eliza"]) as server:
        status, models = request(server.base_url + "/models")
        assert status == 200
        (entry,) = [m for m in models["data"] if m["id"] == "catbot"]
        assert entry["eliza"]["greeting"] == "HELLO I AM CATBOT"
        assert reply(server.base_url, "catbot", "I have a cat") == "TELL ME MORE ABOUT CATS"
        assert reply(server.base_url, "eliza", "Men are all alike.") == "IN WHAT WAY"
    # One path alone, not a list, and a folder.
    with eliza_lambda.serve(scripts=tmp_path) as server:
        assert reply(server.base_url, "catbot", "my cat") == "TELL ME MORE ABOUT CATS"


def test_serve_with_a_broken_script_raises_with_every_diagnostic(tmp_path):
    (tmp_path / "broken.eliza").write_text(BROKEN)
    with pytest.raises(eliza_lambda.ServerError) as error:
        eliza_lambda.serve(scripts=[tmp_path / "broken.eliza"], timeout=20)
    assert error.value.returncode == 1
    assert f"{tmp_path}/broken.eliza:2:1: error: expected ')'" in error.value.output
    assert "eliza-lambda: not started: fix the scripts above" in error.value.output


def test_an_inline_script_through_the_served_api():
    with eliza_lambda.serve() as server:
        assert reply(server.base_url, "x", "I have a cat", eliza={"script": CATS}) == "TELL ME MORE ABOUT CATS"
        status, body = request(server.base_url + "/scripts/check", {"script": BROKEN})
        assert status == 200 and body["ok"] is False
        assert (body["diagnostics"][0]["line"], body["diagnostics"][0]["column"]) == (2, 1)


PLUGIN_TEST = '''
import json, urllib.request
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def test_the_script_is_a_model(eliza_server):
    body = json.dumps({"model": "catbot", "messages": [{"role": "user", "content": "I have a cat"}]}).encode()
    request = urllib.request.Request(eliza_server.base_url + "/chat/completions", data=body)
    with DIRECT.open(request, timeout=20) as response:
        assert json.load(response)["choices"][0]["message"]["content"] == "TELL ME MORE ABOUT CATS"
'''


def test_the_plugin_option_serves_a_new_script(pytester):
    pytester.makefile(".eliza", catbot=CATS)
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--eliza-script", "catbot.eliza", timeout=120)
    result.assert_outcomes(passed=1)
    # Without it the model is unknown, and DOCTOR answers.
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120).assert_outcomes(failed=1)


def test_the_ini_option_serves_a_new_script(pytester):
    scripts = pytester.mkdir("scripts")
    (scripts / "catbot.eliza").write_text(CATS)
    pytester.makeini("[pytest]\neliza_scripts =\n    scripts\n")
    pytester.makepyfile(PLUGIN_TEST)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120).assert_outcomes(passed=1)
