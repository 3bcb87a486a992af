"""docs/failures.md's pytest example (the wheel's `eliza_server` and `eliza_requests` fixtures), copied
out into an empty directory and run by pytest with the installed wheel, as a user would."""

import re
import subprocess
import sys

from support import ROOT


def docs_example() -> str:
    docs = (ROOT / "docs" / "failures.md").read_text()
    (example,) = [block for block in re.findall(r"^```python\n(.*?)^```$", docs, re.M | re.S)
                  if "eliza_server" in block]
    return example


def test_the_docs_journal_example_passes_as_printed(tmp_path):
    (tmp_path / "test_example.py").write_text(docs_example())
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_example.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^=+ 1 passed\b", result.stdout, re.M), result.stdout
