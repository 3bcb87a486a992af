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


def test_the_root_serves_gemini_ollama_and_bedrock_through_their_sdks(eliza_server):
    """`eliza_server.url` (docs/testing.md) is the root those three SDKs take: the first CACM turn each."""
    import boto3
    import ollama
    from google import genai
    from google.genai import types

    gemini = genai.Client(api_key="unused", http_options=types.HttpOptions(base_url=eliza_server.url))
    assert gemini.models.generate_content(model="eliza", contents="Men are all alike.").text == "IN WHAT WAY"
    local = ollama.Client(host=eliza_server.url)
    reply = local.chat(model="eliza", messages=[{"role": "user", "content": "Men are all alike."}])
    assert reply.message.content == "IN WHAT WAY"
    bedrock = boto3.client("bedrock-runtime", endpoint_url=eliza_server.url, region_name="us-east-1",
                           aws_access_key_id="any", aws_secret_access_key="unused")
    answer = bedrock.converse(modelId="eliza", messages=[{"role": "user", "content": [{"text": "Men are all alike."}]}])
    assert answer["output"]["message"]["content"][0]["text"] == "IN WHAT WAY"
