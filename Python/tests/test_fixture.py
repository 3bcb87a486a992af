"""A suite as a user would write it: nothing but the `eliza_server` fixture that installing the wheel
registers (no conftest.py), talked to with the standard library's HTTP client, then with the openai SDK.
It asserts the CACM 1966 conversation word for word."""

import re

import openai

from support import CACM, chat, request


def test_base_url_is_loopback_v1_and_no_key_by_default(eliza_server):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", eliza_server.base_url)
    assert eliza_server.api_key is None
    assert request(eliza_server.url + "/health") == (200, {"status": "ok"})


def test_first_cacm_turn(eliza_server):
    assert chat(eliza_server.base_url, "Men are all alike.") == "IN WHAT WAY"


def test_cacm_conversation_with_the_standard_library(eliza_server):
    messages = []
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        assert chat(eliza_server.base_url, messages) == turn["eliza"], turn["user"]
        messages.append({"role": "assistant", "content": turn["eliza"]})


def test_cacm_conversation_with_the_openai_sdk(eliza_server):
    client = openai.OpenAI(base_url=eliza_server.base_url, api_key="unused", timeout=20, max_retries=0)
    messages = []
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        reply = client.chat.completions.create(model="eliza", messages=messages)
        assert reply.choices[0].message.content == turn["eliza"], turn["user"]
        messages.append({"role": "assistant", "content": reply.choices[0].message.content})


def test_models(eliza_server):
    client = openai.OpenAI(base_url=eliza_server.base_url, api_key="unused", timeout=20, max_retries=0)
    assert {"eliza", "eliza-doctor"} <= {model.id for model in client.models.list()}
