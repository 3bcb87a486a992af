"""The Responses API, legacy completions and Anthropic Messages through the real clients, over loopback.

The openai SDK (responses, completions), the OpenAI Agents SDK (OpenAIResponsesModel), the anthropic
SDK, litellm.responses / litellm.text_completion and the LiteLLM proxy's /v1/responses and
/v1/messages routes, all installed from PyPI by Tools/test.sh (pinned in requirements.txt), talk to
`eliza-lambda` on a free 127.0.0.1 port. Each test asserts ELIZA's exact replies from the CACM 1966
conversation. Nothing leaves 127.0.0.1: every client is given a loopback base URL, the Agents SDK's
tracing is off, LiteLLM reads its bundled cost map and sends no telemetry.
"""

import asyncio
import json
import os
import urllib.request

import pytest

# Before the clients are imported: no client may fall back to a public endpoint, and nothing phones home.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_TELEMETRY"] = "False"
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"     # discard port: a stray default client fails here
os.environ["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"
os.environ.setdefault("OPENAI_API_KEY", "sk-unused")

import agents  # noqa: E402
import anthropic  # noqa: E402
import litellm  # noqa: E402
import openai  # noqa: E402

# The module-scoped server fixtures are shared: each test module gets servers of its own.
from test_real_clients import CACM, keyed_server, litellm_proxy, server  # noqa: E402, F401

agents.set_tracing_disabled(True)

TURNS = CACM["turns"]
KEY = "sk-test-key-123"  # keyed_server's


@pytest.fixture(scope="module")
def proxy(server, tmp_path_factory):
    """The LiteLLM proxy from examples/litellm/config.yaml, unchanged but for api_base."""
    with litellm_proxy(server.base_url, tmp_path_factory.mktemp("proxy")) as started:
        yield started


def root(base_url):
    """The anthropic SDK's base_url is the server root: it adds /v1/messages itself."""
    return base_url.removesuffix("/v1")


def oai(base_url, key="sk-dummy"):
    return openai.OpenAI(base_url=base_url, api_key=key, timeout=20, max_retries=0)


def claude(base_url, key="sk-dummy"):
    return anthropic.Anthropic(base_url=root(base_url), api_key=key, timeout=20, max_retries=0)


def history_items(turn):
    """Responses input for CACM turn `turn` (1-based): every earlier exchange, then the next line."""
    items = []
    for exchange in TURNS[:turn - 1]:
        items.append({"role": "user", "content": exchange["user"]})
        items.append({"type": "message", "role": "assistant",
                      "content": [{"type": "output_text", "text": exchange["eliza"]}]})
    items.append({"role": "user", "content": [{"type": "input_text", "text": TURNS[turn - 1]["user"]}]})
    return items


def history_messages(turn):
    """Anthropic messages for CACM turn `turn`: the earlier exchanges, then the next line."""
    messages = []
    for exchange in TURNS[:turn - 1]:
        messages.append({"role": "user", "content": exchange["user"]})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": exchange["eliza"]}]})
    messages.append({"role": "user", "content": TURNS[turn - 1]["user"]})
    return messages


# MARK: openai SDK, Responses API


def test_openai_responses_create_cacm(server):
    client = oai(server.base_url)
    for turn in range(1, len(TURNS) + 1):
        reply = client.responses.create(model="eliza", instructions="You are a therapist.", input=history_items(turn))
        assert reply.output_text == TURNS[turn - 1]["eliza"], turn
        assert reply.status == "completed"
        assert reply.id.startswith("resp_") and reply.model == "eliza"
    first = client.responses.create(model="eliza", input=TURNS[0]["user"])
    assert first.output_text == "IN WHAT WAY"
    assert (first.usage.input_tokens, first.usage.output_tokens, first.usage.total_tokens) == (4, 3, 7)


def test_openai_responses_previous_response_id_cacm(server):
    client = oai(server.base_url)
    previous = None
    ids = []
    for turn in TURNS:
        kwargs = {"previous_response_id": previous} if previous else {}
        reply = client.responses.create(model="eliza", input=turn["user"], **kwargs)
        assert reply.output_text == turn["eliza"]
        assert reply.previous_response_id == previous
        previous = reply.id
        ids.append(reply.id)
    fetched = client.responses.retrieve(ids[-1])
    assert fetched.output_text == TURNS[-1]["eliza"] and fetched.id == ids[-1]
    client.responses.delete(ids[-1])
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(ids[-1])
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="eliza", input="Bullies.", previous_response_id=ids[-1])
    assert caught.value.param == "previous_response_id" and "not found" in caught.value.message
    # The earlier ones are still there: continue from the fourteenth instead.
    assert client.responses.create(model="eliza", input=TURNS[-1]["user"],
                                   previous_response_id=ids[-2]).output_text == TURNS[-1]["eliza"]


def test_openai_responses_create_stream(server):
    events = list(oai(server.base_url).responses.create(model="eliza", input=history_items(2), stream=True))
    types = [event.type for event in events]
    assert types[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert types[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == TURNS[1]["eliza"]
    assert events[-1].response.output_text == TURNS[1]["eliza"]


def test_openai_responses_retrieve_stream_replays_the_events(server):
    """GET /v1/responses/{id}?stream=true, and &starting_after=N, through the SDK's own calls."""
    client = oai(server.base_url)
    created = list(client.responses.create(model="eliza", input=history_items(3), stream=True))
    response_id = created[0].response.id
    replayed = list(client.responses.retrieve(response_id, stream=True))
    assert [e.model_dump() for e in replayed] == [e.model_dump() for e in created]
    resumed = list(client.responses.retrieve(response_id, stream=True, starting_after=4))
    assert [e.sequence_number for e in resumed] == list(range(5, len(created)))
    assert [e.model_dump() for e in resumed] == [e.model_dump() for e in created[5:]]
    # The helper for an existing response (which asks for the whole stream and drops the events up
    # to starting_after itself), on a response made without streaming.
    plain = client.responses.create(model="eliza", input=history_items(4))
    with client.responses.stream(response_id=plain.id) as stream:
        assert "".join(e.delta for e in stream if e.type == "response.output_text.delta") == TURNS[3]["eliza"]
        assert stream.get_final_response().output_text == TURNS[3]["eliza"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.retrieve(plain.id, stream=True, starting_after=-1)
    assert caught.value.param == "starting_after"


def test_openai_responses_stream_helper(server):
    client = oai(server.base_url)
    for turn in (1, 8, 15):
        with client.responses.stream(model="eliza", input=history_items(turn)) as stream:
            text = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
            final = stream.get_final_response()
        assert text == TURNS[turn - 1]["eliza"]
        assert final.output_text == TURNS[turn - 1]["eliza"]


def test_openai_responses_max_output_tokens(server):
    reply = oai(server.base_url).responses.create(model="eliza", input="Well, my boyfriend made me come here.",
                                                  max_output_tokens=2)
    assert reply.status == "incomplete"
    assert reply.incomplete_details.reason == "max_output_tokens"
    assert reply.output_text == "YOUR BOYFRIEND"


def test_openai_responses_bad_request(server):
    with pytest.raises(openai.BadRequestError) as caught:
        oai(server.base_url).responses.create(model="eliza", input=[{"role": "moderator", "content": "hi"}])
    assert "input[0].role" in str(caught.value)
    assert caught.value.param == "input[0].role"


# MARK: openai SDK, legacy completions


def test_openai_completions_cacm(server):
    client = oai(server.base_url)
    for turn in range(1, len(TURNS) + 1):
        prompt = "\n".join(t["user"] for t in TURNS[:turn])
        reply = client.completions.create(model="eliza", prompt=prompt)
        assert reply.choices[0].text == TURNS[turn - 1]["eliza"], turn
        assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == sum(len(t["user"].split()) for t in TURNS)


def test_openai_completions_stream_n_and_length(server):
    client = oai(server.base_url)
    chunks = list(client.completions.create(model="eliza", prompt=TURNS[0]["user"], stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "IN WHAT WAY"
    assert [c.usage.total_tokens for c in chunks if c.usage] == [7]
    cut = client.completions.create(model="eliza", prompt="Well, my boyfriend made me come here.", max_tokens=3, n=2)
    assert [(c.index, c.text, c.finish_reason) for c in cut.choices] == [(0, "YOUR BOYFRIEND MADE", "length"),
                                                                        (1, "YOUR BOYFRIEND MADE", "length")]


# MARK: OpenAI Agents SDK


def agent(server):
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-dummy", timeout=20, max_retries=0)
    model = agents.OpenAIResponsesModel(model="eliza", openai_client=client)
    return agents.Agent(name="ELIZA", instructions="You are a Rogerian psychotherapist.", model=model)


def test_agents_one_turn_then_the_whole_conversation(server):
    async def run():
        doctor = agent(server)
        result = await agents.Runner.run(doctor, TURNS[0]["user"])
        replies = [result.final_output]
        # Each next turn sends the run's items back (our output items verbatim) plus the new line.
        for turn in TURNS[1:]:
            result = await agents.Runner.run(doctor, result.to_input_list() + [{"role": "user", "content": turn["user"]}])
            replies.append(result.final_output)
        return replies

    replies = asyncio.run(asyncio.wait_for(run(), timeout=120))
    assert replies == [turn["eliza"] for turn in TURNS]


def test_agents_streamed_run(server):
    async def run():
        result = agents.Runner.run_streamed(agent(server), TURNS[0]["user"])
        deltas = []
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                deltas.append(event.data.delta)
        return "".join(deltas), result.final_output

    text, final = asyncio.run(asyncio.wait_for(run(), timeout=60))
    assert text == "IN WHAT WAY"
    assert final == "IN WHAT WAY"


# MARK: anthropic SDK


def test_anthropic_messages_create_cacm(server):
    client = claude(server.base_url)
    for turn in range(1, len(TURNS) + 1):
        message = client.messages.create(model="eliza", max_tokens=1024, system="You are a therapist.",
                                         messages=history_messages(turn))
        assert [block.text for block in message.content] == [TURNS[turn - 1]["eliza"]], turn
        assert message.stop_reason == "end_turn"
    first = client.messages.create(model="eliza", max_tokens=1024, messages=history_messages(1))
    assert (first.usage.input_tokens, first.usage.output_tokens) == (4, 3)


def test_anthropic_messages_stream_helper(server):
    client = claude(server.base_url)
    for turn in (1, 8, 15):
        with client.messages.stream(model="eliza", max_tokens=1024, messages=history_messages(turn)) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert text == TURNS[turn - 1]["eliza"]
        assert final.content[0].text == TURNS[turn - 1]["eliza"]
        assert final.stop_reason == "end_turn"
        assert final.usage.output_tokens == len(TURNS[turn - 1]["eliza"].split())


def test_anthropic_max_tokens_and_count_tokens(server):
    client = claude(server.base_url)
    boyfriend = [{"role": "user", "content": "Well, my boyfriend made me come here."}]
    cut = client.messages.create(model="eliza", max_tokens=2, messages=boyfriend)
    assert cut.stop_reason == "max_tokens"
    assert cut.content[0].text == "YOUR BOYFRIEND"
    with client.messages.stream(model="eliza", max_tokens=2, messages=boyfriend) as s:
        assert "".join(s.text_stream) == "YOUR BOYFRIEND"
        assert s.get_final_message().stop_reason == "max_tokens"
    counted = client.messages.count_tokens(model="eliza", system="You are a therapist.",
                                           messages=[{"role": "user", "content": TURNS[0]["user"]}])
    assert counted.input_tokens == 8


def test_anthropic_errors(server, keyed_server):
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude(server.base_url).messages.create(model="eliza", max_tokens=5, messages=[{"role": "system", "content": "hi"}])
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "messages[0].role" in caught.value.body["error"]["message"]
    with pytest.raises(anthropic.AuthenticationError) as caught:
        claude(keyed_server.base_url, key="wrong-key").messages.create(
            model="eliza", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["error"]["type"] == "authentication_error"
    # The SDK sends the key as Authorization: Bearer; curl and other clients send x-api-key.
    ok = claude(keyed_server.base_url, key=KEY).messages.create(
        model="eliza", max_tokens=50, messages=[{"role": "user", "content": "Men are all alike."}])
    assert ok.content[0].text == "IN WHAT WAY"
    request = urllib.request.Request(
        root(keyed_server.base_url) + "/v1/messages", method="POST",
        data=json.dumps({"model": "eliza", "max_tokens": 50, "messages": [{"role": "user", "content": "Men are all alike."}]}).encode(),
        headers={"content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert json.load(response)["content"][0]["text"] == "IN WHAT WAY"


# MARK: LiteLLM SDK


def test_litellm_responses(server):
    reply = litellm.responses(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                              input=history_items(2), timeout=20)
    assert reply.output[0].content[0].text == TURNS[1]["eliza"]
    assert reply.usage.output_tokens == len(TURNS[1]["eliza"].split())
    events = list(litellm.responses(model="openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                    input=TURNS[0]["user"], stream=True, timeout=20))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "IN WHAT WAY"
    assert events[-1].type == "response.completed"


def test_litellm_text_completion(server):
    prompt = "\n".join(t["user"] for t in TURNS[:3])
    reply = litellm.text_completion(model="text-completion-openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                    prompt=prompt, timeout=20)
    assert reply.choices[0].text == TURNS[2]["eliza"]
    assert reply.usage.completion_tokens == len(TURNS[2]["eliza"].split())
    chunks = litellm.text_completion(model="text-completion-openai/eliza", api_base=server.base_url, api_key="sk-dummy",
                                     prompt=TURNS[0]["user"], stream=True, timeout=20)
    assert "".join(c.choices[0].text or "" for c in chunks if c.choices) == "IN WHAT WAY"


# MARK: LiteLLM proxy, from examples/litellm/config.yaml


def test_proxy_responses(proxy):
    url, master_key = proxy
    client = oai(url, key=master_key)
    previous = None
    for turn in TURNS[:4]:
        kwargs = {"previous_response_id": previous} if previous else {}
        reply = client.responses.create(model="eliza", input=turn["user"], **kwargs)
        assert reply.output_text == turn["eliza"]
        previous = reply.id  # the proxy's own encoding of our id
    assert client.responses.retrieve(previous).output_text == TURNS[3]["eliza"]
    events = list(client.responses.create(model="eliza", input=history_items(5), stream=True))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == TURNS[4]["eliza"]
    with client.responses.stream(model="eliza", input=history_items(6)) as stream:
        assert stream.get_final_response().output_text == TURNS[5]["eliza"]


def test_proxy_messages(proxy):
    url, master_key = proxy
    client = claude(url, key=master_key)
    for turn in (1, 7, 15):
        message = client.messages.create(model="eliza", max_tokens=1024, system="You are a therapist.",
                                         messages=history_messages(turn))
        assert message.content[0].text == TURNS[turn - 1]["eliza"]
        assert message.stop_reason == "end_turn"
        with client.messages.stream(model="eliza", max_tokens=1024, messages=history_messages(turn)) as stream:
            assert "".join(stream.text_stream) == TURNS[turn - 1]["eliza"]
            assert stream.get_final_message().stop_reason == "end_turn"
    counted = client.messages.count_tokens(model="eliza", messages=[{"role": "user", "content": TURNS[0]["user"]}])
    assert counted.input_tokens == 4
