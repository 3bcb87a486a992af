"""Bedrock Converse (docs/api.md, "Bedrock Converse") through the real clients: boto3's
bedrock-runtime client (SigV4, botocore's event-stream parser, its standard retries), LiteLLM's
`bedrock/converse/` provider (SigV4 and Bearer) and LangChain's `ChatBedrockConverse`, against
eliza-lambda on 127.0.0.1. Nothing reaches AWS: explicit endpoint, region and credentials, no
profiles, no instance metadata."""

import json
import os
import socket
import urllib.request

import pytest

# Before any AWS client is imported: no profile, no metadata service, no region or key from outside.
for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import boto3  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.config  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.eventstream  # noqa: E402
import botocore.exceptions  # noqa: E402
import litellm  # noqa: E402
from langchain_aws import ChatBedrockConverse  # noqa: E402

from local_server import Server  # noqa: E402
from test_real_clients import CACM  # noqa: E402

KEY = "eliza-bedrock-secret-0123"
REGION = "us-east-1"
USER = [{"role": "user", "content": [{"text": "Men are all alike."}]}]
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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


@pytest.fixture
def journal(server):
    """The server's request journal, emptied (with its attempt counts) before the test."""
    url = root(server) + "/eliza/requests"
    with DIRECT.open(urllib.request.Request(url, method="DELETE"), timeout=10):
        pass

    def entries():
        with DIRECT.open(url, timeout=10) as response:
            return json.load(response)["data"]
    return entries


def root(server):
    return server.base_url.removesuffix("/v1")


def bedrock(server, secret="unused-secret", retries=None):
    config = botocore.config.Config(
        retries=retries or {"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=20)
    return boto3.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=root(server), aws_access_key_id="AKIDELIZA",
        aws_secret_access_key=secret, config=config)


def stream_text(response):
    text, events = "", []
    for event in response["stream"]:
        events.append(next(iter(event)))
        if "contentBlockDelta" in event:
            text += event["contentBlockDelta"]["delta"]["text"]
    return text, events


def cacm_messages(upto):
    messages = []
    for turn in CACM["turns"][:upto]:
        messages.append({"role": "user", "content": [{"text": turn["user"]}]})
        messages.append({"role": "assistant", "content": [{"text": turn["eliza"]}]})
    messages.append({"role": "user", "content": [{"text": CACM["turns"][upto]["user"]}]})
    return messages


# MARK: boto3


def test_boto3_converse(server):
    reply = bedrock(server).converse(modelId="eliza", messages=USER, system=[{"text": "You are a therapist."}])
    assert reply["output"]["message"] == {"role": "assistant", "content": [{"text": "IN WHAT WAY"}]}
    assert reply["stopReason"] == "end_turn"
    assert reply["usage"] == {"inputTokens": 8, "outputTokens": 3, "totalTokens": 11}
    assert reply["metrics"]["latencyMs"] >= 0
    assert len(reply["ResponseMetadata"]["RequestId"]) == 36


def test_boto3_converse_stream(server):
    response = bedrock(server).converse_stream(modelId="eliza", messages=USER)
    text, events = stream_text(response)
    assert text == "IN WHAT WAY"
    assert events == ["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
                      "contentBlockStop", "messageStop", "metadata"]


@pytest.mark.parametrize("stream", [False, True])
def test_boto3_cacm_conversation(server, stream):
    client = bedrock(server)
    for index, turn in enumerate(CACM["turns"]):
        if stream:
            text, _ = stream_text(client.converse_stream(modelId="eliza-doctor", messages=cacm_messages(index)))
        else:
            text = client.converse(modelId="eliza-doctor", messages=cacm_messages(index))[
                "output"]["message"]["content"][0]["text"]
        assert text == turn["eliza"]


def test_boto3_count_tokens(server):
    counted = bedrock(server).count_tokens(
        modelId="eliza", input={"converse": {"messages": USER, "system": [{"text": "Be kind."}]}})
    assert counted["inputTokens"] == 6


def test_botocore_decodes_the_exception_message(server):
    request = urllib.request.Request(
        root(server) + "/model/eliza/converse-stream", method="POST", data=json.dumps({"messages": USER}).encode(),
        headers={"content-type": "application/json", "x-eliza-simulate": "fault=stream_error,after=1"})
    with DIRECT.open(request, timeout=20) as response:
        body = response.read()
    buffer = botocore.eventstream.EventStreamBuffer()
    buffer.add_data(body)
    messages = list(buffer)
    assert [m.headers.get(":event-type") for m in messages] == ["messageStart", None]
    assert messages[-1].headers == {":exception-type": "internalServerException",
                                    ":content-type": "application/json", ":message-type": "exception"}
    assert "fault=stream_error" in json.loads(messages[-1].payload)["message"]


def test_boto3_max_tokens_cuts_the_reply(server):
    reply = bedrock(server).converse(modelId="eliza", messages=USER, inferenceConfig={"maxTokens": 2})
    assert reply["output"]["message"]["content"][0]["text"] == "IN WHAT"
    assert reply["stopReason"] == "max_tokens"
    response = bedrock(server).converse_stream(modelId="eliza", messages=USER, inferenceConfig={"maxTokens": 2})
    events = list(response["stream"])
    assert [e["messageStop"]["stopReason"] for e in events if "messageStop" in e] == ["max_tokens"]


def test_boto3_arn_and_inference_profile_ids(server):
    """boto3 percent-encodes an ARN's `:` and `/`; the id names the model after its last `/`, without
    its geography prefix and version."""
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.eliza-doctor:0"
    for model in (arn, "us.eliza-doctor:0", "anthropic.claude-3-haiku-20240307-v1:0"):
        reply = bedrock(server).converse(modelId=model, messages=USER)
        assert reply["output"]["message"]["content"][0]["text"] == "IN WHAT WAY"


def test_boto3_validation_error(server):
    client = bedrock(server)
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse(modelId="eliza", messages=[{"role": "user", "content": [{"text": "hi"}]},
                                                   {"role": "system", "content": [{"text": "x"}]}])
    assert "messages[1].role" in str(caught.value)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_boto3_with_the_key(keyed_server):
    """ELIZA_API_KEY is the secret access key: a signature made with it verifies (any access key
    id); one made with another secret is refused with AWS's InvalidSignatureException."""
    good = bedrock(keyed_server, secret=KEY)
    assert good.converse(modelId="eliza", messages=USER)["output"]["message"]["content"][0]["text"] == "IN WHAT WAY"
    text, _ = stream_text(good.converse_stream(modelId="eliza", messages=USER))
    assert text == "IN WHAT WAY"
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.eliza-doctor:0"
    assert good.converse(modelId=arn, messages=USER)["stopReason"] == "end_turn"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        bedrock(keyed_server, secret="not-the-key").converse(modelId="eliza", messages=USER)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_signed_request_waits_for_its_body_after_100_continue(keyed_server):
    """The local server answers `Expect: 100-continue` from the head alone; a signature covers the
    body's hash, so it lets the body come and decides then (a missing key is refused at once)."""
    host, port = root(keyed_server).removeprefix("http://").split(":")
    body = json.dumps({"messages": USER}).encode()

    def exchange(headers):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            connection.sendall(f"POST /model/eliza/converse HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n"
                               "Expect: 100-continue\r\n\r\n".encode())
            first = connection.recv(65536)
            if not first.startswith(b"HTTP/1.1 100"):
                return first
            connection.sendall(body)
            response = b""
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                response += chunk
            return first + response

    request = botocore.awsrequest.AWSRequest(
        method="POST", url=f"{root(keyed_server)}/model/eliza/converse", data=body,
        headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("AKIDELIZA", KEY), "bedrock", REGION).add_auth(request)
    signed = exchange({"Host": f"{host}:{port}", **dict(request.headers.items())})
    assert signed.startswith(b"HTTP/1.1 100"), signed[:200]
    assert b"HTTP/1.1 200" in signed and b"IN WHAT WAY" in signed, signed[:400]
    refused = exchange({"Host": f"{host}:{port}", "Content-Type": "application/json"})
    assert refused.startswith(b"HTTP/1.1 403"), refused[:200]
    assert b"MissingAuthenticationTokenException" in refused


def test_boto3_throttling_is_retried_by_standard_mode(server, journal):
    """fault=rate_limit: 429 ThrottlingException; boto3's standard mode makes 3 attempts in all,
    and with times=2 the third one is answered."""
    client = bedrock(server, retries={"mode": "standard"})
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.converse(modelId="eliza@fault=rate_limit,retry_after_ms=10", messages=USER)
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    # boto3 numbers its attempts in `amz-sdk-request: attempt=N; max=3`, which the server reads.
    assert [(e["status"], e["attempt"]) for e in journal() if e["route"] == "/model/{modelId}/converse"] == [
        (429, 0), (429, 1), (429, 2)]
    reply = client.converse(modelId="eliza@fault=rate_limit,times=2,retry_after_ms=10", messages=USER)
    assert reply["output"]["message"]["content"][0]["text"] == "IN WHAT WAY"
    assert reply["ResponseMetadata"]["RetryAttempts"] == 2
    assert [(e["status"], e["attempt"]) for e in journal()][-3:] == [(429, 0), (429, 1), (200, 2)]


def test_boto3_other_faults(server):
    client = bedrock(server)
    for fault, error, status in [("quota", "ServiceQuotaExceededException", 400),
                                 ("server_error", "InternalServerException", 500),
                                 ("overloaded", "ServiceUnavailableException", 503)]:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            client.converse(modelId=f"eliza@fault={fault}", messages=USER)
        assert caught.value.response["Error"]["Code"] == error
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_boto3_simulation_header_through_an_event_hook(keyed_server):
    """boto3 validates its parameters, so the spec rides in x-eliza-simulate, added before signing
    (botocore then signs it too, and the signature still verifies)."""
    client = bedrock(keyed_server, secret=KEY)

    def add_spec(request, **_):
        request.headers["x-eliza-simulate"] = "fault=overloaded"
    client.meta.events.register("before-sign.bedrock-runtime.Converse", add_spec)
    with pytest.raises(client.exceptions.ServiceUnavailableException) as caught:
        client.converse(modelId="eliza", messages=USER)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "fault=overloaded" in caught.value.response["Error"]["Message"]


def test_boto3_stream_error_is_an_event_stream_error(server):
    response = bedrock(server).converse_stream(modelId="eliza@fault=stream_error,after=2", messages=USER)
    seen = []
    with pytest.raises(botocore.exceptions.EventStreamError) as caught:
        for event in response["stream"]:
            seen.append(next(iter(event)))
    assert seen == ["messageStart", "contentBlockDelta"]
    assert caught.value.response["Error"]["Code"] == "internalServerException"


def test_the_stream_decodes_with_botocores_own_decoder(server):
    """Issue 21 item 8: the raw body, fetched over HTTP, through botocore's EventStreamBuffer, which
    checks both CRCs of every frame; each frame's headers and payload checked."""
    request = urllib.request.Request(
        root(server) + "/model/eliza/converse-stream", method="POST",
        data=json.dumps({"messages": USER, "system": [{"text": "Be brief."}]}).encode(),
        headers={"content-type": "application/json"})
    with DIRECT.open(request, timeout=20) as response:
        assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        assert response.headers["x-amzn-requestid"]
        body = response.read()
    buffer = botocore.eventstream.EventStreamBuffer()
    buffer.add_data(body)
    messages = list(buffer)
    # Every byte belongs to a message (botocore raises on a bad CRC or length).
    assert sum(message.prelude.total_length for message in messages) == len(body)
    frames = [(message.headers, json.loads(message.payload)) for message in messages]
    for headers, _ in frames:
        assert headers[":content-type"] == "application/json"
        assert headers[":message-type"] == "event"
    metrics = frames[-1][1]["metrics"]
    assert metrics["latencyMs"] >= 0
    assert [(h[":event-type"], p) for h, p in frames] == [
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "IN"}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " WHAT"}}),
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " WAY"}}),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": {"inputTokens": 6, "outputTokens": 3, "totalTokens": 9}, "metrics": metrics}),
    ]


# MARK: LiteLLM


def litellm_sigv4(server, secret="unused-secret"):
    return {"api_base": root(server), "aws_access_key_id": "AKIDELIZA", "aws_secret_access_key": secret,
            "aws_region_name": REGION, "timeout": 20, "num_retries": 0}


@pytest.mark.parametrize("stream", [False, True])
def test_litellm_cacm_conversation(server, stream):
    messages = []
    for turn in CACM["turns"]:
        messages.append({"role": "user", "content": turn["user"]})
        response = litellm.completion(model="bedrock/converse/eliza", messages=messages, stream=stream,
                                      **litellm_sigv4(server))
        if stream:
            text = "".join(chunk.choices[0].delta.content or "" for chunk in response)
        else:
            text = response.choices[0].message.content
            assert response.usage.completion_tokens == len(turn["eliza"].split())
        assert text == turn["eliza"]
        messages.append({"role": "assistant", "content": text})


@pytest.mark.parametrize("stream", [False, True])
def test_litellm_with_the_key(keyed_server, stream):
    def ask(**auth):
        response = litellm.completion(model="bedrock/converse/eliza", stream=stream,
                                      messages=[{"role": "user", "content": "Men are all alike."}], **auth)
        if stream:
            return "".join(chunk.choices[0].delta.content or "" for chunk in response)
        return response.choices[0].message.content

    assert ask(**litellm_sigv4(keyed_server, secret=KEY)) == "IN WHAT WAY"
    bearer = {"api_base": root(keyed_server), "api_key": KEY, "aws_region_name": REGION, "timeout": 20,
              "num_retries": 0}
    assert ask(**bearer) == "IN WHAT WAY"
    # LiteLLM reads "security token" as an authentication failure; a bad signature is a 403 it passes on.
    with pytest.raises(litellm.AuthenticationError) as caught:
        ask(**dict(bearer, api_key="wrong"))
    assert caught.value.status_code == 403 and "security token included in the request is invalid" in str(caught.value)
    with pytest.raises(litellm.PermissionDeniedError) as caught:
        ask(**litellm_sigv4(keyed_server, secret="not-the-key"))
    assert "signature we calculated does not match" in str(caught.value)


@pytest.mark.parametrize("stream", [False, True])
def test_litellm_faults(server, stream):
    def ask(model):
        response = litellm.completion(model=model, messages=[{"role": "user", "content": "Men are all alike."}],
                                      stream=stream, **litellm_sigv4(server))
        if stream:
            return "".join(c.choices[0].delta.content or "" for c in response)
        return response.choices[0].message.content

    with pytest.raises(litellm.RateLimitError):
        ask("bedrock/converse/eliza@fault=rate_limit")
    if stream:
        # The exception message (internalServerException, modelled 500) mid-stream.
        with pytest.raises(litellm.exceptions.MidStreamFallbackError):
            ask("bedrock/converse/eliza@fault=stream_error,after=2")



# MARK: LangChain


def langchain(server, secret="unused-secret"):
    return ChatBedrockConverse(
        model="eliza", endpoint_url=root(server), region_name=REGION, aws_access_key_id="AKIDELIZA",
        aws_secret_access_key=secret)


def test_langchain_invoke_and_stream(server):
    model = langchain(server)
    assert model.invoke("Men are all alike.").content == "IN WHAT WAY"
    pieces = [chunk.content for chunk in model.stream("Men are all alike.")]
    text = "".join(p if isinstance(p, str) else "".join(b.get("text", "") for b in p) for p in pieces)
    assert text == "IN WHAT WAY"


def test_langchain_cacm_conversation(server):
    model = langchain(server)
    messages = []
    for turn in CACM["turns"]:
        messages.append(("human", turn["user"]))
        reply = model.invoke(messages).content
        assert reply == turn["eliza"]
        messages.append(("ai", reply))


def test_langchain_with_the_key(keyed_server):
    model = langchain(keyed_server, secret=KEY)
    assert model.invoke("Men are all alike.").content == "IN WHAT WAY"
    assert "".join(c.content if isinstance(c.content, str) else "".join(b.get("text", "") for b in c.content)
                   for c in model.stream("Men are all alike.")) == "IN WHAT WAY"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        langchain(keyed_server, secret="not-the-key").invoke("Men are all alike.")
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
