"""The wheel's fixture fails on cue (docs/failures.md): the spec helpers, the request journal and its
clearing, with the openai SDK as a user's suite would drive it."""

import openai
import pytest

import eliza_lambda
from eliza_lambda import simulate_headers, simulated_model, simulation_spec


def test_spec_helpers():
    assert simulation_spec(fault="rate_limit", times=2, retry_after_ms=100) == "fault=rate_limit,times=2,retry_after_ms=100"
    assert simulate_headers(fault="server_error") == {"x-eliza-simulate": "fault=server_error"}
    assert simulated_model("eliza", fault="overloaded", key="a") == "eliza@fault=overloaded,key=a"
    assert eliza_lambda.SIMULATE_HEADER == "x-eliza-simulate"
    with pytest.raises(ValueError):
        simulation_spec(fault="a,b")
    with pytest.raises(TypeError):
        simulation_spec()


def test_retries_are_journaled(eliza_server, eliza_requests):
    client = openai.OpenAI(base_url=eliza_server.base_url, api_key="unused", timeout=20)
    reply = client.chat.completions.create(
        model="eliza", messages=[{"role": "user", "content": "Men are all alike."}],
        extra_headers=eliza_server.simulate_headers(fault="rate_limit", times=2, retry_after_ms=10))
    assert reply.choices[0].message.content == "IN WHAT WAY"
    journal = eliza_requests()
    assert [(r["status"], r["fault"], r["attempt"]) for r in journal] == [
        (429, "rate_limit", 0), (429, "rate_limit", 1), (200, None, 2)]
    assert {r["route"] for r in journal} == {"/v1/chat/completions"}


def test_the_journal_starts_empty_in_each_test(eliza_server, eliza_requests):
    assert eliza_requests() == []
    client = openai.OpenAI(base_url=eliza_server.base_url, api_key="unused", timeout=20, max_retries=0)
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(model=eliza_server.simulated_model("eliza", fault="server_error"),
                                       messages=[{"role": "user", "content": "hello"}])
    assert raised.value.status_code == 500
    (entry,) = eliza_requests()
    assert entry["model"] == "eliza@fault=server_error"
    assert entry["fault"] == "server_error"
    eliza_server.clear_requests()
    assert eliza_server.requests() == []
