"""The real Python clients against the real server, over loopback only.

The openai SDK, the LiteLLM SDK (`litellm.completion` / `acompletion`) and the LiteLLM proxy, all
installed from PyPI by Tools/test.sh, talk to `eliza-lambda` started on a free 127.0.0.1 port.
Every wait is bounded; nothing leaves 127.0.0.1.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CACM = json.loads((SHARED / "reference" / "conversations" / "cacm-1966.json").read_text())

# LiteLLM must not fetch its model-cost map (or anything else) from the internet.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm  # noqa: E402  (after the environment above; a missing client fails loudly)
import openai  # noqa: E402
from local_server import Server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
    assert s.proc.returncode == 0, "the server did not shut down cleanly on SIGTERM"


@pytest.fixture(scope="module")
def keyed_server():
    s = Server({"ELIZA_API_KEY": "sk-test-key-123"})
    yield s
    s.stop()


def client(base_url, key="sk-dummy"):
    return openai.OpenAI(base_url=base_url, api_key=key, timeout=20, max_retries=0)


def test_openai_non_stream(server):
    reply = client(server.base_url).chat.completions.create(
        model="eliza", messages=[{"role": "user", "content": "Men are all alike."}])
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "eliza"
    assert reply.id.startswith("chatcmpl-")
    assert reply.usage.prompt_tokens == 4
    assert reply.usage.completion_tokens == 3
    assert reply.usage.total_tokens == 7


def test_openai_stream_without_usage(server):
    chunks = list(client(server.base_url).chat.completions.create(
        model="eliza", stream=True, messages=[{"role": "user", "content": "Men are all alike."}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "IN WHAT WAY"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert all(c.usage is None for c in chunks)


def test_openai_stream_with_usage(server):
    chunks = list(client(server.base_url).chat.completions.create(
        model="eliza", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Men are all alike."}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "IN WHAT WAY"
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens == 3 and usage[0].total_tokens == 7
    assert chunks[-1].choices == []


def test_openai_models(server):
    ids = [m.id for m in client(server.base_url).models.list()]
    assert "eliza" in ids and "eliza-doctor" in ids


def test_openai_cacm_conversation(server):
    messages = []
    c = client(server.base_url)
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = c.chat.completions.create(model="eliza", messages=messages)
        assert reply.choices[0].message.content == turn["eliza"]
        messages.append({"role": "assistant", "content": reply.choices[0].message.content})


def test_openai_bad_request_error(server):
    with pytest.raises(openai.BadRequestError) as caught:
        client(server.base_url).chat.completions.create(model="eliza", messages=[])
    assert "messages" in str(caught.value)


def test_openai_authentication_error(keyed_server):
    with pytest.raises(openai.AuthenticationError):
        client(keyed_server.base_url, key="wrong-key").chat.completions.create(
            model="eliza", messages=[{"role": "user", "content": "hello"}])
    ok = client(keyed_server.base_url, key="sk-test-key-123").chat.completions.create(
        model="eliza", messages=[{"role": "user", "content": "hello"}])
    assert ok.choices[0].message.content == "HOW DO YOU DO. PLEASE STATE YOUR PROBLEM"


def test_litellm_completion(server):
    reply = litellm.completion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                               messages=[{"role": "user", "content": "Men are all alike."}], timeout=20)
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert reply.usage.total_tokens == 7


def test_litellm_completion_stream(server):
    stream = litellm.completion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy", stream=True,
                                messages=[{"role": "user", "content": "Men are all alike."}], timeout=20)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "IN WHAT WAY"


def test_litellm_acompletion(server):
    async def run():
        reply = await litellm.acompletion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                          messages=[{"role": "user", "content": "My mother takes care of me."}],
                                          timeout=20)
        stream = await litellm.acompletion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                           stream=True, messages=[{"role": "user", "content": "Men are all alike."}],
                                           timeout=20)
        text = ""
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
        return reply, text

    reply, text = asyncio.run(asyncio.wait_for(run(), timeout=60))
    assert reply.choices[0].message.content == "TELL ME MORE ABOUT YOUR FAMILY"
    assert text == "IN WHAT WAY"


def test_litellm_multi_turn_cacm(server):
    messages = []
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = litellm.completion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                   messages=messages, timeout=20)
        assert reply.choices[0].message.content == turn["eliza"]
        messages.append({"role": "assistant", "content": turn["eliza"]})


def test_litellm_errors(server, keyed_server):
    with pytest.raises(litellm.BadRequestError):
        litellm.completion(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                           messages=[{"role": "moderator", "content": "hi"}], timeout=20, num_retries=0)
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(model="openai/eliza", api_base=keyed_server.base_url, api_key="wrong-key",
                           messages=[{"role": "user", "content": "hi"}], timeout=20, num_retries=0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def litellm_proxy(base_url, directory, example_name="config.yaml"):
    """The LiteLLM proxy, started from examples/litellm/<example_name> with every api_base set to
    `base_url`; yields its base URL (ending in /v1) and master key. Bounded waits; stopped on exit."""
    example = (ROOT / "examples" / "litellm" / example_name).read_text()
    assert re.search(r"^\s*api_base: .*$", example, re.M), "the example config has no api_base line"
    config = re.sub(r"^(\s*api_base: ).*$", lambda m: m.group(1) + base_url, example, flags=re.M)
    config_file = directory / "config.yaml"
    config_file.write_text(config)
    port = free_port()
    litellm_bin = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "litellm"
    command = [str(litellm_bin) if litellm_bin.exists() else "litellm", "--config", str(config_file),
               "--host", "127.0.0.1", "--port", str(port)]
    master_key = "sk-proxy-test-" + os.urandom(8).hex()
    env = dict(os.environ, ELIZA_API_KEY="sk-dummy", LITELLM_MASTER_KEY=master_key, LITELLM_LOCAL_MODEL_COST_MAP="True",
               LITELLM_TELEMETRY="False", DISABLE_SCHEMA_UPDATE="True")
    log = (directory / "proxy.log").open("w")
    proxy = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    try:
        deadline = time.monotonic() + 120
        ready = False
        while time.monotonic() < deadline and proxy.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=2) as r:
                    ready = r.status == 200
            except OSError:
                pass
            if ready:
                break
            time.sleep(0.5)
        assert ready, "the LiteLLM proxy did not start: " + (directory / "proxy.log").read_text()[-3000:]
        yield f"http://127.0.0.1:{port}/v1", master_key
    finally:
        proxy.send_signal(signal.SIGTERM)
        try:
            proxy.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait(timeout=10)
        log.close()


def test_litellm_proxy_with_example_config(server, tmp_path):
    """The LiteLLM proxy, started from examples/litellm/config.yaml with api_base substituted."""
    with litellm_proxy(server.base_url, tmp_path) as (proxy_url, master_key):
        via_proxy = openai.OpenAI(base_url=proxy_url, api_key=master_key, timeout=30, max_retries=0)
        reply = via_proxy.chat.completions.create(
            model="eliza", messages=[{"role": "system", "content": "You are a therapist."},
                                     {"role": "user", "content": "Men are all alike."}])
        assert reply.choices[0].message.content == "IN WHAT WAY"
        chunks = list(via_proxy.chat.completions.create(
            model="eliza", stream=True, messages=[{"role": "user", "content": "Men are all alike."}]))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "IN WHAT WAY"
