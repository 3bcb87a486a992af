"""Gemini through its real clients, over loopback only: google-genai (its default `v1` and `v1beta`) and
LiteLLM's `gemini/` provider, against `eliza-lambda` started on a free 127.0.0.1 port, with and without
ELIZA_API_KEY; the OpenAI SDK and google-genai reading the one `GET /v1/models` body. Every wait is bounded;
nothing leaves 127.0.0.1 (docs/api.md, "Gemini").
"""

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

ROOT_DIR = Path(__file__).resolve().parents[1]
CACM = json.loads((ROOT_DIR.parent / "shared" / "reference" / "conversations" / "cacm-1966.json").read_text())

# LiteLLM must not fetch its model-cost map (or anything else) from the internet; google-genai must not
# pick up a real endpoint or Vertex AI from the environment.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")
for name in ("GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_API_VERSION", "GOOGLE_CLOUD_PROJECT"):
    os.environ.pop(name, None)

import litellm  # noqa: E402  (after the environment above; a missing client fails loudly)
import openai  # noqa: E402
from google import genai  # noqa: E402
from google.genai import errors as genai_errors  # noqa: E402
from google.genai import types  # noqa: E402
from local_server import Server  # noqa: E402

KEY = "AIza-eliza-test-key"
VERSIONS = [None, "v1beta"]  # None: google-genai 3.x's default, v1


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
    assert s.proc.returncode == 0, "the server did not shut down cleanly on SIGTERM"


@pytest.fixture(scope="module")
def keyed_server():
    s = Server({"ELIZA_API_KEY": KEY})
    yield s
    s.stop()


def root(server):
    return server.base_url[: -len("/v1")]


def gemini(server, version=None, key="unused", **options):
    """A google-genai client for the server; the caller keeps it in a variable (a Client that is garbage
    collected closes its connection pool under the request that is still using it)."""
    http_options = types.HttpOptions(base_url=root(server), timeout=20_000, **options)
    if version:
        http_options.api_version = version
    return genai.Client(api_key=key, http_options=http_options)


@pytest.mark.parametrize("version", VERSIONS)
def test_genai_one_turn(server, version):
    client = gemini(server, version)
    reply = client.models.generate_content(model="eliza", contents="Men are all alike.")
    assert reply.text == "IN WHAT WAY"
    assert reply.candidates[0].finish_reason == types.FinishReason.STOP
    assert reply.model_version == "eliza"
    usage = reply.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (4, 3, 7)


@pytest.mark.parametrize("version", VERSIONS)
def test_genai_cacm_conversation(server, version):
    """The whole CACM conversation through a chat session: every request replays the history."""
    client = gemini(server, version)
    chat = client.chats.create(model="eliza", config=types.GenerateContentConfig(
        system_instruction="You are a Rogerian psychotherapist."))
    for turn in CACM["turns"]:
        assert chat.send_message(turn["user"]).text == turn["eliza"]


@pytest.mark.parametrize("version", VERSIONS)
def test_genai_stream_and_max_output_tokens(server, version):
    client = gemini(server, version)
    chunks = list(client.models.generate_content_stream(model="eliza",
                                                        contents="Well, my boyfriend made me come here."))
    assert [c.text for c in chunks] == ["YOUR", " BOYFRIEND", " MADE", " YOU", " COME", " HERE"]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count == 6
    cut = client.models.generate_content(model="eliza", contents="Well, my boyfriend made me come here.",
                                         config=types.GenerateContentConfig(max_output_tokens=2))
    assert cut.text == "YOUR BOYFRIEND"
    assert cut.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


@pytest.mark.parametrize("version", VERSIONS)
def test_genai_count_tokens_and_models(server, version):
    client = gemini(server, version)
    counted = client.models.count_tokens(model="eliza", contents="Men are all alike.")
    assert counted.total_tokens == 4
    models = list(client.models.list())
    assert [m.name for m in models][:2] == ["models/eliza", "models/eliza-doctor"]
    assert models[0].supported_actions == ["generateContent", "countTokens"]
    model = client.models.get(model="eliza-doctor")
    assert (model.name, model.version, model.display_name) == ("models/eliza-doctor", "1966", "ELIZA (doctor)")
    with pytest.raises(genai_errors.ClientError) as missing:
        client.models.get(model="gemini-nothing")
    assert missing.value.code == 404


def test_both_sdks_read_the_v1_model_list(server):
    """`GET /v1/models` and `GET /v1/models/{model}` answer the OpenAI SDK and google-genai alike."""
    client = openai.OpenAI(base_url=server.base_url, api_key="unused", timeout=20, max_retries=0)
    assert [m.id for m in client.models.list().data][:2] == ["eliza", "eliza-doctor"]
    assert client.models.retrieve("eliza").id == "eliza"
    google = gemini(server)
    assert [m.name for m in google.models.list()][:2] == ["models/eliza", "models/eliza-doctor"]
    assert google.models.get(model="eliza").display_name == "ELIZA"


def litellm_messages(upto, system):
    messages = [{"role": "system", "content": "You are a Rogerian psychotherapist."}] if system else []
    for turn in CACM["turns"][:upto - 1]:
        messages += [{"role": "user", "content": turn["user"]}, {"role": "assistant", "content": turn["eliza"]}]
    messages.append({"role": "user", "content": CACM["turns"][upto - 1]["user"]})
    return messages


@pytest.mark.parametrize("system", [False, True])
@pytest.mark.parametrize("stream", [False, True])
def test_litellm_cacm_conversation(server, stream, system):
    """LiteLLM puts the system prompt of a model it does not know into the first user turn, as a first
    part: ELIZA hears the turn's last text part, so the replies are the paper's either way."""
    for upto, turn in enumerate(CACM["turns"], start=1):
        reply = litellm.completion(model="gemini/eliza", api_base=root(server) + "/v1beta", api_key="unused",
                                   messages=litellm_messages(upto, system), stream=stream, timeout=20, num_retries=0)
        if stream:
            text = "".join(chunk.choices[0].delta.content or "" for chunk in reply)
        else:
            text = reply.choices[0].message.content
            assert reply.usage.completion_tokens == len(turn["eliza"].split())
        assert text == turn["eliza"]


def test_litellm_max_tokens(server):
    """`max_tokens` arrives as `generation_config.max_output_tokens` (snake_case) and cuts the reply."""
    reply = litellm.completion(model="gemini/eliza", api_base=root(server) + "/v1beta", api_key="unused", max_tokens=2,
                               messages=[{"role": "user", "content": "Well, my boyfriend made me come here."}],
                               timeout=20)
    assert reply.choices[0].message.content == "YOUR BOYFRIEND"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 2


def test_the_key(keyed_server):
    client = gemini(keyed_server, key=KEY)
    assert client.models.generate_content(model="eliza", contents="Men are all alike.").text == "IN WHAT WAY"
    assert [m.name for m in client.models.list()][0] == "models/eliza"
    wrong = gemini(keyed_server, "v1beta", key="AIza-wrong")
    with pytest.raises(genai_errors.ClientError) as refused:
        wrong.models.generate_content(model="eliza", contents="Men are all alike.")
    assert (refused.value.code, refused.value.status) == (400, "INVALID_ARGUMENT")
    assert refused.value.message == "API key not valid. Please pass a valid API key."
    base = root(keyed_server) + "/v1beta"
    reply = litellm.completion(model="gemini/eliza", api_base=base, api_key=KEY, timeout=20,
                               messages=[{"role": "user", "content": "Men are all alike."}])
    assert reply.choices[0].message.content == "IN WHAT WAY"
    streamed = litellm.completion(model="gemini/eliza", api_base=base, api_key=KEY, timeout=20, stream=True,
                                  messages=[{"role": "user", "content": "Men are all alike."}])
    assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed) == "IN WHAT WAY"
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(model="gemini/eliza", api_base=base, api_key="AIza-wrong", timeout=20, num_retries=0,
                           messages=[{"role": "user", "content": "Men are all alike."}])
    # Without a key: 401 UNAUTHENTICATED.
    request = urllib.request.Request(base + "/models/eliza:generateContent", method="POST",
                                     data=b'{"contents":[{"parts":[{"text":"hi"}]}]}')
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=10)
    assert missing.value.code == 401
    assert json.loads(missing.value.read())["error"]["status"] == "UNAUTHENTICATED"
    # The query parameter Google's REST examples use.
    request = urllib.request.Request(base + "/models/eliza:generateContent?key=" + KEY, method="POST",
                                     data=b'{"contents":[{"parts":[{"text":"Men are all alike."}]}]}')
    with urllib.request.urlopen(request, timeout=10) as answered:
        assert json.loads(answered.read())["candidates"][0]["content"]["parts"][0]["text"] == "IN WHAT WAY"


def journal(server):
    with urllib.request.urlopen(root(server) + "/eliza/requests", timeout=10) as response:
        return json.loads(response.read())["data"]


def clear_journal(server):
    urllib.request.urlopen(urllib.request.Request(root(server) + "/eliza/requests", method="DELETE"), timeout=10)


def test_rate_limit_fault(server):
    """genai makes one attempt unless retry options are set, and raises ClientError 429 RESOURCE_EXHAUSTED;
    with retry options it retries the 429 and gets the answer; LiteLLM raises RateLimitError."""
    clear_journal(server)
    client = gemini(server)
    with pytest.raises(genai_errors.ClientError) as limited:
        client.models.generate_content(model="eliza@fault=rate_limit,retry_after_ms=250", contents="Men are all alike.")
    assert (limited.value.code, limited.value.status) == (429, "RESOURCE_EXHAUSTED")
    details = limited.value.details["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.250s"} in details
    assert len(journal(server)) == 1
    clear_journal(server)
    retrying = gemini(server, retry_options=types.HttpRetryOptions(attempts=4, initial_delay=0.05, max_delay=0.2))
    started = time.monotonic()
    reply = retrying.models.generate_content(model="eliza@fault=rate_limit,times=2,key=genai",
                                             contents="Men are all alike.")
    assert reply.text == "IN WHAT WAY"
    assert [entry["status"] for entry in journal(server)] == [429, 429, 200]
    assert time.monotonic() - started < 15
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(model="gemini/eliza@fault=rate_limit", api_base=root(server) + "/v1beta",
                           api_key="unused", messages=[{"role": "user", "content": "Men are all alike."}],
                           timeout=20, num_retries=0)


def test_stream_error_fault(server):
    """A mid-stream `data: {"error": …}` event: genai raises ServerError while iterating."""
    client = gemini(server, "v1beta")
    config = types.GenerateContentConfig(
        http_options=types.HttpOptions(headers={"x-eliza-simulate": "fault=stream_error"}))
    received = []
    with pytest.raises(genai_errors.ServerError) as failed:
        for chunk in client.models.generate_content_stream(model="eliza", contents="Men are all alike.", config=config):
            received.append(chunk.text)
    assert received == ["IN"]
    assert (failed.value.code, failed.value.status) == (500, "INTERNAL")


def test_genai_async_client(server):
    """`client.aio`, the async face of the same client: one turn and a stream."""
    import asyncio

    client = gemini(server, "v1beta")

    async def run():
        reply = await client.aio.models.generate_content(model="eliza", contents="Men are all alike.")
        pieces = [chunk.text async for chunk in await client.aio.models.generate_content_stream(
            model="eliza", contents="Men are all alike.")]
        return reply.text, pieces

    text, pieces = asyncio.run(asyncio.wait_for(run(), timeout=60))
    assert text == "IN WHAT WAY"
    assert pieces == ["IN", " WHAT", " WAY"]
