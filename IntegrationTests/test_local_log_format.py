"""The local server's log: readable text by default (what docs/production.md shows), JSON lines with
ELIZA_LOG_FORMAT=json, and no EMF metric lines unless ELIZA_METRICS_NAMESPACE asks for them."""

import json
import re
import time
import urllib.request

from local_server import ROOT, Server

DOC_LINE = re.search(r"^  (\d{4}-.* INFO  request .*)$", (ROOT / "docs" / "production.md").read_text(), re.M).group(1)


def keys(line: str) -> list:
    return re.findall(r" ([A-Za-z]+)=", line)


def one_request(env_extra: dict, monkeypatch) -> list:
    """A chat completion against the local server with this environment; the lines it printed after."""
    for name in ("ELIZA_LOG_FORMAT", "AWS_LAMBDA_LOG_FORMAT", "ELIZA_METRICS_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    server = Server(env_extra)
    try:
        body = json.dumps({"model": "eliza", "messages": [{"role": "user", "content": "I am sad"}]}).encode()
        request = urllib.request.Request(server.base_url + "/chat/completions", data=body,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        time.sleep(0.2)
    finally:
        server.stop()
    return [line.rstrip("\n") for line in server.lines if line.strip()]


def test_the_default_is_text_shaped_like_the_documented_line(monkeypatch):
    lines = one_request({}, monkeypatch)
    (access,) = [line for line in lines if " INFO  request " in line]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  request requestId=local-[0-9a-f]+-\d+ ", access)
    # The documented example is the start of a real line: the same keys in the same order.
    assert keys(access)[:len(keys(DOC_LINE))] == keys(DOC_LINE)
    assert not any(line.startswith("{") for line in lines), "no JSON and no metric line by default"


def test_json_when_asked_and_metrics_only_when_asked(monkeypatch):
    lines = one_request({"ELIZA_LOG_FORMAT": "json", "ELIZA_METRICS_NAMESPACE": "Local"}, monkeypatch)
    documents = [json.loads(line) for line in lines if line.startswith("{")]
    (access,) = [d for d in documents if d.get("message") == "request"]
    assert (access["level"], access["status"], access["path"]) == ("INFO", 200, "/v1/chat/completions")
    emf = [d for d in documents if "_aws" in d]
    assert [d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in emf] == ["Local", "Local"]
    assert emf[0]["ColdStart"] == 1 and emf[1]["Requests"] == 1 and emf[1]["route"] == "/v1/chat/completions"
