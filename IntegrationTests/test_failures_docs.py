"""The examples of docs/failures.md and of the README's "Testing failures" section, run as printed
against the real server (its address in place of 127.0.0.1:5005), each in a fresh interpreter; the
LiteLLM recipe shown is the shipped examples/litellm/fallbacks.yaml. The pytest example that needs
the wheel's fixture runs in the wheel's suite (Python/tests/test_failures_docs.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_failures import server  # noqa: F401  (the module's server)

ROOT = Path(__file__).resolve().parents[1]


def blocks(text, language):
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


def readme_section():
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Testing failures\n", 1)[1].split("\n## ", 1)[0]


DOCS = (ROOT / "docs" / "failures.md").read_text()
EXAMPLES = [(f"docs-{i}", code) for i, code in enumerate(blocks(DOCS, "python")) if "eliza_server" not in code]
EXAMPLES += [(f"readme-{i}", code) for i, code in enumerate(blocks(readme_section(), "python"))]


def test_every_example_is_collected():
    assert len(EXAMPLES) >= 6
    assert len(blocks(readme_section(), "python")) >= 1
    assert len(readme_section().strip().splitlines()) <= 30


@pytest.mark.parametrize("name, code", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_example_runs_as_printed(server, tmp_path, name, code):
    address = server.base_url.removesuffix("/v1")
    assert "http://127.0.0.1:5005" in code, "an example must talk to the documented address"
    script = tmp_path / "example.py"
    script.write_text(code.replace("http://127.0.0.1:5005", address))
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("text", [DOCS, readme_section()], ids=["docs", "readme"])
def test_the_recipe_shown_is_the_shipped_config(text):
    shipped = yaml.safe_load((ROOT / "examples" / "litellm" / "fallbacks.yaml").read_text())
    (shown,) = [yaml.safe_load(block) for block in blocks(text, "yaml")]
    for key, value in shown.items():
        assert shipped[key] == value, key
