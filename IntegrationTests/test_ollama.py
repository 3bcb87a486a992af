"""The Ollama dialect through its real clients, over loopback only: ollama-python's `Client`, LiteLLM's
`ollama_chat/` and `ollama/` providers with `api_base`, and LangChain's `ChatOllama`, against
`eliza-lambda` on a free 127.0.0.1 port (../shared/docs/more-dialects.md, section 2; docs/api.md,
"Ollama"). Each asserts the CACM 1966 replies exactly, streamed and not, with and without a key.
"""

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CACM = json.loads((ROOT.parent / "shared" / "reference" / "conversations" / "cacm-1966.json").read_text())
KEY = "sk-ollama-test-42"

# Nothing may leave 127.0.0.1: LiteLLM keeps its cost map local; LangChain traces nothing.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"
os.environ.pop("OLLAMA_HOST", None)
os.environ.pop("OLLAMA_API_KEY", None)

import litellm  # noqa: E402
import ollama  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage  # noqa: E402
from langchain_ollama import ChatOllama, OllamaLLM  # noqa: E402
from local_server import Server  # noqa: E402


def root(server):
    return server.base_url[: -len("/v1")]


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
    assert s.proc.returncode == 0


@pytest.fixture(scope="module")
def keyed_server():
    s = Server({"ELIZA_API_KEY": KEY})
    yield s
    s.stop()


def client(server, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return ollama.Client(host=root(server), headers=headers, timeout=20)


def access_log(server, route):
    """The statuses of the access log lines (the local server's text format) of a route."""
    statuses = []
    for line in server.lines:
        found = re.search(r" route=(\S+) .*status=(\d+)", line)
        if found and found.group(1) == route:
            statuses.append(int(found.group(2)))
    return statuses


# ollama-python


@pytest.mark.parametrize("keyed", [False, True], ids=["open", "keyed"])
def test_ollama_chat_replays_the_cacm_conversation(server, keyed_server, keyed):
    c = client(keyed_server, KEY) if keyed else client(server)
    messages = [{"role": "system", "content": "You are a Rogerian psychotherapist."}]
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = c.chat(model="eliza", messages=messages)
        assert reply.message.content == turn["eliza"]
        assert reply.message.role == "assistant"
        assert reply.done and reply.done_reason == "stop"
        assert reply.eval_count == len(turn["eliza"].split())
        assert reply.total_duration >= 1 and reply.load_duration == 0
        assert reply.prompt_eval_duration + reply.eval_duration == reply.total_duration
        messages.append({"role": "assistant", "content": reply.message.content})


@pytest.mark.parametrize("keyed", [False, True], ids=["open", "keyed"])
def test_ollama_chat_stream(server, keyed_server, keyed):
    c = client(keyed_server, KEY) if keyed else client(server)
    messages = []
    for turn in CACM["turns"][:6]:
        messages.append({"role": "user", "content": turn["user"]})
        parts = list(c.chat(model="eliza:latest", messages=messages, stream=True))
        assert "".join(p.message.content for p in parts) == turn["eliza"]
        assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
        assert len(parts) == len(turn["eliza"].split()) + 1
        assert parts[-1].done_reason == "stop" and parts[-1].eval_count == len(turn["eliza"].split())
        assert all(p.model == "eliza:latest" for p in parts)
        messages.append({"role": "assistant", "content": turn["eliza"]})


def test_ollama_num_predict_cuts_the_reply(server):
    reply = client(server).chat(model="eliza", options={"num_predict": 2},
                                messages=[{"role": "user", "content": "Well, my boyfriend made me come here."}])
    assert reply.message.content == "YOUR BOYFRIEND"
    assert reply.done_reason == "length"


def test_ollama_generate_continues_through_the_context(server):
    c = client(server)
    context = None
    for turn in CACM["turns"]:
        reply = c.generate(model="eliza", prompt=turn["user"], context=context, system="Be brief.")
        assert reply.response == turn["eliza"]
        assert reply.done_reason == "stop"
        context = reply.context
    streamed = list(c.generate(model="eliza", prompt=CACM["turns"][0]["user"], stream=True))
    assert "".join(p.response for p in streamed) == CACM["turns"][0]["eliza"]
    assert streamed[-1].done and streamed[-1].context[-1] == 0


def test_ollama_list_show_ps_version(server):
    c = client(server)
    names = [m.model for m in c.list().models]
    assert names[0] == "eliza:latest" and "eliza-doctor:latest" in names
    shown = c.show("eliza")
    assert shown.modelinfo["eliza.context_length"] > 0
    assert shown.capabilities == ["completion"]
    assert [m.model for m in c.ps().models] == names
    with urllib.request.urlopen(root(server) + "/api/version", timeout=10) as response:
        assert json.loads(response.read())["version"].count(".") == 2
    with pytest.raises(ollama.ResponseError) as raised:
        c.show("llama3")
    assert raised.value.status_code == 404
    assert raised.value.error == "model 'llama3' not found"


def test_the_key(keyed_server):
    with pytest.raises(ollama.ResponseError) as raised:
        client(keyed_server).chat(model="eliza", messages=[{"role": "user", "content": "Hello"}])
    assert raised.value.status_code == 401
    assert "missing API key" in raised.value.error
    with pytest.raises(ollama.ResponseError) as raised:
        client(keyed_server, "sk-wrong").list()
    assert raised.value.status_code == 401
    assert client(keyed_server, KEY).list().models[0].model == "eliza:latest"
    # /api/version is open, like /health.
    with urllib.request.urlopen(root(keyed_server) + "/api/version", timeout=10) as response:
        assert response.status == 200


def test_ollama_stream_is_ndjson_on_the_wire(server):
    request = urllib.request.Request(
        root(server) + "/api/chat", method="POST",
        data=json.dumps({"model": "eliza", "messages": [{"role": "user", "content": "Men are all alike."}]}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        body = response.read().decode()
    lines = body.split("\n")
    assert lines[-1] == "" and all(lines[:-1])
    objects = [json.loads(line) for line in lines[:-1]]
    assert [o["message"]["content"] for o in objects] == ["IN", " WHAT", " WAY", ""]
    assert objects[-1]["done"] is True and objects[-1]["prompt_eval_count"] == 4


# Failure on cue through the SDK


def test_rate_limit_through_the_sdk_is_one_attempt(server):
    urllib.request.urlopen(urllib.request.Request(root(server) + "/eliza/requests", method="DELETE"), timeout=10)
    with pytest.raises(ollama.ResponseError) as raised:
        client(server).chat(model="eliza@fault=rate_limit", messages=[{"role": "user", "content": "Hello"}])
    assert raised.value.status_code == 429
    assert raised.value.error.startswith("too many requests")
    with urllib.request.urlopen(root(server) + "/eliza/requests", timeout=10) as response:
        journal = json.loads(response.read())["data"]
    # ollama-python never retries.
    assert [(e["route"], e["status"], e["fault"]) for e in journal] == [("/api/chat", 429, "rate_limit")]
    for fault, status in [("server_error", 500), ("overloaded", 503)]:
        with pytest.raises(ollama.ResponseError) as raised:
            client(server).generate(model=f"eliza@fault={fault}", prompt="Hello")
        assert raised.value.status_code == status


def test_mid_stream_error_through_the_sdk(server):
    seen = []
    with pytest.raises(ollama.ResponseError) as raised:
        for part in client(server).chat(model="eliza@fault=stream_error,after=2", stream=True,
                                        messages=[{"role": "user", "content": "Well, my boyfriend made me come here."}]):
            seen.append(part.message.content)
    assert seen == ["YOUR", " BOYFRIEND"]
    assert raised.value.status_code == -1
    assert "fault=stream_error" in raised.value.error


@pytest.mark.parametrize("spec, stream, error", [
    ("fault=drop", False, httpx.RemoteProtocolError),
    ("fault=malformed", False, json.JSONDecodeError),
    ("fault=malformed", True, json.JSONDecodeError),
    ("fault=cut", False, httpx.RemoteProtocolError),
    ("fault=cut,after=2", True, httpx.RemoteProtocolError)])
def test_broken_bodies_through_the_sdk(server, spec, stream, error):
    # ollama-python wraps none of these: the transport's and the JSON reader's errors come through raw.
    seen = []
    with pytest.raises(error):
        reply = client(server).chat(model=f"eliza@{spec}", stream=stream,
                                    messages=[{"role": "user", "content": "Well, my boyfriend made me come here."}])
        for part in (reply if stream else [reply]):
            seen.append(part.message.content)
    assert seen == (["YOUR", " BOYFRIEND"] if spec.endswith("after=2") else [])


# LiteLLM


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("keyed", [False, True], ids=["open", "keyed"])
def test_litellm_ollama_chat(server, keyed_server, stream, keyed):
    target = keyed_server if keyed else server
    messages = []
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = litellm.completion(model="ollama_chat/eliza", api_base=root(target), api_key=KEY if keyed else None,
                                   messages=messages, stream=stream, timeout=20)
        if stream:
            text = "".join(chunk.choices[0].delta.content or "" for chunk in reply if chunk.choices)
        else:
            text = reply.choices[0].message.content
            assert reply.usage.prompt_tokens == sum(len(m["content"].split()) for m in messages)
            assert reply.usage.completion_tokens == len(turn["eliza"].split())
        assert text == turn["eliza"]
        messages.append({"role": "assistant", "content": text})
    if keyed and not stream:
        # LiteLLM asks /api/show without the key and carries on when it is refused.
        assert 401 in access_log(target, "/api/show")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_litellm_ollama_generate_transcript(server, stream):
    # `ollama/` flattens the chat into one `### User:` prompt; ELIZA hears its user sections.
    messages = [{"role": "system", "content": "You are a Rogerian psychotherapist."}]
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = litellm.completion(model="ollama/eliza", api_base=root(server), messages=messages, stream=stream,
                                   timeout=20)
        text = ("".join(chunk.choices[0].delta.content or "" for chunk in reply if chunk.choices) if stream
                else reply.choices[0].message.content)
        assert text == turn["eliza"]
        messages.append({"role": "assistant", "content": text})


@pytest.mark.parametrize("fault, error", [
    ("rate_limit", litellm.RateLimitError), ("quota", litellm.RateLimitError),
    ("server_error", litellm.InternalServerError), ("overloaded", litellm.ServiceUnavailableError)])
def test_litellm_ollama_chat_faults(server, fault, error):
    with pytest.raises(error) as raised:
        litellm.completion(model=f"ollama_chat/eliza@fault={fault}", api_base=root(server), timeout=20,
                           messages=[{"role": "user", "content": "Hello"}], num_retries=0)
    assert f"fault={fault}" in str(raised.value)


def test_litellm_ollama_chat_mid_stream_error(server):
    # LiteLLM reads a line without `message` as a bad response, whatever it says.
    seen = []
    with pytest.raises(litellm.BadRequestError) as raised:
        for chunk in litellm.completion(model="ollama_chat/eliza@fault=stream_error,after=2", api_base=root(server),
                                        stream=True, timeout=20, num_retries=0,
                                        messages=[{"role": "user", "content": "Well, my boyfriend made me come here."}]):
            seen.append(chunk.choices[0].delta.content or "")
    assert "".join(seen) == "YOUR BOYFRIEND"
    assert "fault=stream_error" in str(raised.value)


# LangChain


@pytest.mark.parametrize("keyed", [False, True], ids=["open", "keyed"])
def test_langchain_chat_ollama(server, keyed_server, keyed):
    target = keyed_server if keyed else server
    kwargs = {"client_kwargs": {"headers": {"Authorization": f"Bearer {KEY}"}}} if keyed else {}
    model = ChatOllama(base_url=root(target), model="eliza", **kwargs)
    history = [SystemMessage("You are a Rogerian psychotherapist.")]
    for index, turn in enumerate(CACM["turns"]):
        history.append(HumanMessage(turn["user"]))
        if index % 2:
            text = "".join(chunk.content for chunk in model.stream(history))
        else:
            reply = model.invoke(history)
            text = reply.content
            assert reply.usage_metadata["output_tokens"] == len(turn["eliza"].split())
        assert text == turn["eliza"]
        history.append(AIMessage(text))


def test_langchain_validates_the_model_and_cuts_at_num_predict(server):
    # validate_model_on_init reads /api/tags, where `eliza` is listed as `eliza:latest`.
    model = ChatOllama(base_url=root(server), model="eliza", validate_model_on_init=True, num_predict=2)
    reply = model.invoke("Well, my boyfriend made me come here.")
    assert reply.content == "YOUR BOYFRIEND"
    assert reply.response_metadata["done_reason"] == "length"
    with pytest.raises(ValueError, match="eliza:latest"):
        ChatOllama(base_url=root(server), model="llama3", validate_model_on_init=True)
    # OllamaLLM speaks /api/generate.
    assert OllamaLLM(base_url=root(server), model="eliza").invoke("Men are all alike.") == "IN WHAT WAY"
