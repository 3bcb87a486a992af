"""Failure on cue (docs/failures.md) through the real clients: each fault reaches the openai and
anthropic SDKs, LiteLLM (SDK, Router and proxy) and the OpenAI Agents SDK as the failure they raise
against the real providers, retries show in the server's request journal, and pacing shows on the
wire. Over 127.0.0.1 only; every wait bounded."""

import asyncio
import json
import os
import time
import urllib.request

import pytest

from test_real_clients import litellm_proxy  # noqa: F401  (also sets LiteLLM's offline environment)

import agents  # noqa: E402
import anthropic  # noqa: E402
import httpx2  # noqa: E402
import litellm  # noqa: E402
import openai  # noqa: E402
from local_server import Server  # noqa: E402

USER = [{"role": "user", "content": "Men are all alike."}]
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()
    assert s.proc.returncode == 0, "the server did not shut down cleanly on SIGTERM"


@pytest.fixture
def journal(server):
    """The server's request journal, emptied (with its attempt counts) before the test."""
    url = server.base_url.removesuffix("/v1") + "/eliza/requests"
    with DIRECT.open(urllib.request.Request(url, method="DELETE"), timeout=10):
        pass

    def entries():
        with DIRECT.open(url, timeout=10) as response:
            return json.load(response)["data"]
    return entries


def oai(server, **options):
    options.setdefault("timeout", 20)
    return openai.OpenAI(base_url=server.base_url, api_key="sk-dummy", **options)


def claude(server, **options):
    options.setdefault("timeout", 20)
    return anthropic.Anthropic(base_url=server.base_url.removesuffix("/v1"), api_key="sk-dummy", **options)


def spec(**keys):
    return ",".join(f"{k}={v}" for k, v in keys.items())


def header(**keys):
    return {"x-eliza-simulate": spec(**keys)}


# MARK: openai


def test_openai_succeeds_after_times_2_with_its_default_retries(server, journal):
    reply = oai(server).chat.completions.create(
        model="eliza", messages=USER, extra_headers=header(fault="rate_limit", times=2, retry_after_ms=50))
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert reply.model == "eliza"
    assert [(e["status"], e["fault"], e["attempt"]) for e in journal()] == [
        (429, "rate_limit", 0), (429, "rate_limit", 1), (200, None, 2)]


@pytest.mark.parametrize("retry_after_ms, at_least, below", [(1000, 1.95, 5.0), (100, 0.19, 1.0)])
def test_openai_honours_retry_after_ms(server, journal, retry_after_ms, at_least, below):
    # Without the header the SDK would wait about 0.5 s then 1 s (less up to 25 % jitter): 1000 ms
    # makes the two waits longer than that, 100 ms shorter; either way the wall time shows the header.
    started = time.monotonic()
    reply = oai(server).chat.completions.create(
        model=f"eliza@fault=rate_limit,times=2,retry_after_ms={retry_after_ms}", messages=USER)
    elapsed = time.monotonic() - started
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert reply.model == f"eliza@fault=rate_limit,times=2,retry_after_ms={retry_after_ms}"
    assert at_least <= elapsed < below, elapsed
    assert len(journal()) == 3


def test_openai_raises_rate_limit_error_when_times_exceeds_its_retries(server, journal):
    with pytest.raises(openai.RateLimitError) as raised:
        oai(server).chat.completions.create(model="eliza@fault=rate_limit,times=5,retry_after_ms=10", messages=USER)
    assert raised.value.status_code == 429
    assert raised.value.code == "rate_limit_exceeded"
    assert raised.value.response.headers["retry-after-ms"] == "10"
    assert raised.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert [e["attempt"] for e in journal()] == [0, 1, 2]


def test_openai_quota_is_not_retried(server, journal):
    with pytest.raises(openai.RateLimitError) as raised:
        oai(server).chat.completions.create(model="eliza@fault=quota", messages=USER)
    assert raised.value.code == "insufficient_quota"
    assert raised.value.type == "insufficient_quota"
    assert len(journal()) == 1  # x-should-retry: false


@pytest.mark.parametrize("fault, status", [("server_error", 500), ("overloaded", 503)])
def test_openai_server_faults(server, journal, fault, status):
    with pytest.raises(openai.InternalServerError) as raised:
        oai(server, max_retries=1).chat.completions.create(model=f"eliza@fault={fault}", messages=USER)
    assert raised.value.status_code == status
    assert [e["attempt"] for e in journal()] == [0, 1]


def test_openai_drop_is_a_connection_error(server, journal):
    with pytest.raises(openai.APIConnectionError):
        oai(server, max_retries=0).chat.completions.create(model="eliza@fault=drop", messages=USER)
    (entry,) = journal()
    assert entry["fault"] == "drop"


def test_openai_malformed_body_and_first_event(server):
    with pytest.raises(json.JSONDecodeError):
        oai(server, max_retries=0).chat.completions.create(model="eliza@fault=malformed", messages=USER)
    with pytest.raises(json.JSONDecodeError):
        for _ in oai(server, max_retries=0).chat.completions.create(
                model="eliza@fault=malformed", messages=USER, stream=True):
            pass


def test_openai_raises_on_a_cut_stream(server):
    received = []
    with pytest.raises(openai.APIConnectionError) as raised:
        for chunk in oai(server, max_retries=0).chat.completions.create(
                model="eliza@fault=cut,after=2", messages=USER, stream=True):
            received.append(chunk)
    assert len(received) == 2  # the role chunk and the first word, then the stream broke
    assert isinstance(raised.value.__cause__, httpx2.RemoteProtocolError)
    with pytest.raises(openai.APIConnectionError):
        for _ in oai(server, max_retries=0).responses.create(
                model="eliza", input="Men are all alike.", stream=True, extra_headers=header(fault="cut", after=3)):
            pass


def test_openai_raises_on_an_in_stream_error(server):
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in oai(server).chat.completions.create(
                model="eliza@fault=stream_error,after=2", messages=USER, stream=True):
            received.append(chunk)
    assert not isinstance(raised.value, openai.APIStatusError)
    assert "The server had an error" in raised.value.message
    assert len(received) == 2
    with pytest.raises(openai.APIError) as responses_error:
        for _ in oai(server).responses.create(
                model="eliza", input="Men are all alike.", stream=True,
                extra_body={"eliza": {"simulate": {"fault": "stream_error", "after": 3}}}):
            pass
    assert "The server had an error" in responses_error.value.message


def test_a_bad_spec_is_a_400_naming_it(server):
    with pytest.raises(openai.BadRequestError) as raised:
        oai(server).chat.completions.create(model="eliza@fault=rate_limit,speed=3", messages=USER)
    assert raised.value.param == "model"
    assert "speed is not a simulation key" in raised.value.message


# MARK: anthropic


def test_anthropic_overloaded_and_rate_limit(server, journal):
    with pytest.raises(anthropic.OverloadedError) as overloaded:
        claude(server, max_retries=0).messages.create(model="eliza@fault=overloaded", max_tokens=50, messages=USER)
    assert overloaded.value.status_code == 529
    with pytest.raises(anthropic.RateLimitError) as limited:
        claude(server, max_retries=0).messages.create(model="eliza@fault=rate_limit", max_tokens=50, messages=USER)
    assert limited.value.status_code == 429
    assert limited.value.body["error"]["type"] == "rate_limit_error"
    assert limited.value.response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    with pytest.raises(anthropic.BadRequestError) as quota:
        claude(server).messages.create(model="eliza@fault=quota", max_tokens=50, messages=USER)
    assert "credit balance is too low" in quota.value.message
    assert [e["status"] for e in journal()] == [529, 429, 400]


def test_anthropic_drop_and_malformed(server):
    with pytest.raises(anthropic.APIConnectionError):
        claude(server, max_retries=0).messages.create(model="eliza@fault=drop", max_tokens=50, messages=USER)
    with pytest.raises(json.JSONDecodeError):
        claude(server, max_retries=0).messages.create(model="eliza@fault=malformed", max_tokens=50, messages=USER)


def test_anthropic_retries_529_then_succeeds(server, journal):
    message = claude(server).messages.create(
        model="claude-sonnet-4-5", max_tokens=50, messages=USER,
        extra_headers=header(fault="overloaded", times=2, retry_after_ms=20))
    assert message.content[0].text == "IN WHAT WAY"
    assert [(e["status"], e["attempt"]) for e in journal()] == [(529, 0), (529, 1), (200, 2)]


def test_anthropic_stream_error_and_cut(server):
    with pytest.raises(anthropic.APIStatusError) as raised:
        with claude(server).messages.stream(model="eliza@fault=stream_error,after=3", max_tokens=50,
                                            messages=USER) as stream:
            for _ in stream:
                pass
    assert raised.value.body["error"]["type"] == "overloaded_error"
    with pytest.raises(httpx2.RemoteProtocolError):
        with claude(server, max_retries=0).messages.stream(model="eliza@fault=cut,after=3", max_tokens=50,
                                                           messages=USER) as stream:
            for _ in stream:
                pass


# MARK: litellm


def completion(server, model, **options):
    return litellm.completion(model="openai/" + model, api_base=server.base_url, api_key="sk-dummy", messages=USER,
                              max_retries=0, num_retries=0, timeout=20, **options)


@pytest.mark.parametrize("fault, exception", [
    ("rate_limit", litellm.RateLimitError),
    ("quota", litellm.RateLimitError),
    ("server_error", litellm.InternalServerError),
    ("overloaded", litellm.ServiceUnavailableError),
    ("drop", litellm.InternalServerError),
    ("malformed", litellm.InternalServerError),
])
def test_litellm_maps_each_fault(server, fault, exception):
    with pytest.raises(exception):
        completion(server, f"eliza@fault={fault}")


def test_litellm_stream_faults(server):
    # A stream that fails after it began: LiteLLM raises MidStreamFallbackError (a
    # ServiceUnavailableError), so that its Router can fall back mid-stream.
    for fault in ("cut", "stream_error"):
        with pytest.raises(litellm.exceptions.MidStreamFallbackError):
            for _ in completion(server, f"eliza@fault={fault},after=2", stream=True):
                pass


def test_litellm_anthropic_provider_overloaded(server):
    with pytest.raises(litellm.InternalServerError):
        litellm.completion(model="anthropic/eliza@fault=overloaded", api_base=server.base_url.removesuffix("/v1"),
                           api_key="sk-dummy", messages=USER, max_tokens=20, num_retries=0, timeout=20)


def router(server, *deployments, **settings):
    return litellm.Router(model_list=[
        {"model_name": name, "litellm_params": {"model": "openai/" + model, "api_base": server.base_url,
                                                "api_key": "sk-dummy", "max_retries": 0}}
        for name, model in deployments], **settings)


def test_router_falls_back_to_a_healthy_deployment(server, journal):
    r = router(server, ("flaky", "eliza@fault=server_error"), ("healthy", "eliza"),
               fallbacks=[{"flaky": ["healthy"]}], num_retries=0)
    reply = r.completion(model="flaky", messages=USER)
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert reply._hidden_params["additional_headers"]["x-litellm-attempted-fallbacks"] == 1
    assert [(e["model"], e["status"]) for e in journal()] == [("eliza@fault=server_error", 500), ("eliza", 200)]


def test_router_retries_count_locally(server, journal):
    # The router retries with x-stainless-retry-count 0 every time: the local server counts the attempts.
    r = router(server, ("flaky", "eliza@fault=rate_limit,times=2,key=router,retry_after_ms=10"), num_retries=2,
               retry_after=0)
    reply = r.completion(model="flaky", messages=USER)
    assert reply.choices[0].message.content == "IN WHAT WAY"
    assert [(e["fault"], e["attempt"]) for e in journal()] == [("rate_limit", 0), ("rate_limit", 1), (None, 2)]


def test_litellm_proxy_falls_back_with_the_shipped_config(server, journal, tmp_path):
    with litellm_proxy(server.base_url, tmp_path, "fallbacks.yaml") as (proxy_url, master_key):
        via_proxy = openai.OpenAI(base_url=proxy_url, api_key=master_key, timeout=60, max_retries=0)
        raw = via_proxy.chat.completions.with_raw_response.create(model="eliza-flaky", messages=USER)
        reply = raw.parse()
        assert reply.choices[0].message.content == "IN WHAT WAY"
        assert raw.headers.get("x-litellm-attempted-fallbacks") == "1"
    seen = [(e["model"], e["status"]) for e in journal() if e["route"] == "/v1/chat/completions"]
    assert ("eliza@fault=server_error", 500) in seen
    assert seen[-1] == ("eliza", 200)


# MARK: OpenAI Agents SDK


def test_agents_sdk_retry_is_visible(server, journal):
    async def run():
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-dummy", timeout=20, max_retries=2,
                                    default_headers=header(fault="server_error", times=1))
        model = agents.OpenAIResponsesModel(model="eliza", openai_client=client)
        doctor = agents.Agent(name="ELIZA", instructions="You are a Rogerian psychotherapist.", model=model)
        return (await agents.Runner.run(doctor, "Men are all alike.")).final_output
    assert asyncio.run(run()) == "IN WHAT WAY"
    assert [(e["route"], e["status"], e["attempt"]) for e in journal()] == [
        ("/v1/responses", 500, 0), ("/v1/responses", 200, 1)]


# MARK: pacing


def test_pacing_time_to_first_chunk_and_total(server):
    started = time.monotonic()
    first_word = None
    words = []
    for chunk in oai(server).chat.completions.create(model="eliza@ttft_ms=400,tps=10", messages=USER, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            first_word = first_word or time.monotonic() - started
            words.append(chunk.choices[0].delta.content)
    total = time.monotonic() - started
    assert "".join(words) == "IN WHAT WAY"
    # 400 ms to the first word, then 2 more at 10 words/s: 0.6 s in all (generous upper bounds).
    assert 0.38 <= first_word < 1.5, first_word
    assert 0.58 <= total < 2.5, total


def test_pacing_anthropic_stream_and_delay(server):
    started = time.monotonic()
    with claude(server).messages.stream(model="eliza@delay_ms=200,ttft_ms=100,tps=20", max_tokens=50,
                                        messages=USER) as stream:
        text = "".join(stream.text_stream)
    total = time.monotonic() - started
    assert text == "IN WHAT WAY"
    assert 0.38 <= total < 2.5, total  # 200 + 100 + 2 x 50 ms


def test_simulation_off_is_a_400_naming_the_setting():
    off = Server({"ELIZA_SIMULATION": "off"})
    try:
        with pytest.raises(openai.BadRequestError) as raised:
            oai(off).chat.completions.create(model="eliza@fault=server_error", messages=USER)
        assert "ELIZA_SIMULATION=off" in raised.value.message
        assert oai(off).chat.completions.create(model="eliza", messages=USER).choices[0].message.content
    finally:
        off.stop()
