"""The pytest example of the README ("Use it from Python tests") and of docs/testing.md, run as printed:
copied out of the page into an empty directory (no conftest.py, no repository on the path) and run by
pytest with the installed wheel."""

import re
import subprocess
import sys

import pytest

from support import ROOT


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Use it from Python tests\n", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
    return example


def docs_page_example() -> str:
    (example,) = re.findall(r"^```python\n(.*?)^```$", (ROOT / "docs" / "testing.md").read_text(), re.M | re.S)
    return example


@pytest.mark.parametrize("example", [readme_example, docs_page_example], ids=["README.md", "docs/testing.md"])
@pytest.mark.parametrize("args", [[], ["--eliza-api-key", "sk-readme"]])
def test_the_example_passes_as_printed(tmp_path, example, args):
    (tmp_path / "test_example.py").write_text(example())
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "test_example.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^=+ 2 passed\b", result.stdout, re.M), result.stdout
