"""What the wheel's tests share. They run in a fresh virtual environment with only the wheel installed
(Tools/test-wheel.sh), never against the sources in Python/eliza_lambda."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACM = json.loads((ROOT.parent / "shared" / "reference" / "conversations" / "cacm-1966.json").read_text())
# The requests go to 127.0.0.1 only, never through a proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wheel_path() -> Path:
    """The wheel under test: $ELIZA_WHEEL (Tools/test-wheel.sh sets it to what `make wheel` built)."""
    assert os.environ.get("ELIZA_WHEEL"), "set ELIZA_WHEEL to the .whl under test (Tools/test-wheel.sh does)"
    return Path(os.environ["ELIZA_WHEEL"])


def request(url: str, body=None, key=None):
    """(status, decoded JSON body) of a GET, or of a POST of `body` as JSON."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    try:
        with DIRECT.open(urllib.request.Request(url, data=data, headers=headers), timeout=20) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def chat(base_url: str, messages, key=None):
    """ELIZA's reply to `messages` (a list of {"role", "content"}, or one user message as a string)."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    status, body = request(base_url + "/chat/completions", {"model": "eliza", "messages": messages}, key)
    assert status == 200, body
    return body["choices"][0]["message"]["content"]
