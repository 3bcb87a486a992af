#!/usr/bin/env bash
# The Python wheel (README "Use it from Python tests", docs/testing.md), end to end; Tools/test.sh runs it, and it runs
# alone too:
#   1. make wheel (make lambda, then Tools/build_wheel.py).
#   2. A fresh virtual environment, .build/venv-wheel, with the wheel installed by `pip install
#      --no-index`: it needs nothing from a registry, and nothing else is installed into it.
#   3. With only the wheel: the command, `python -m eliza_lambda` and the Python API, from a directory
#      outside the repository, with no Swift on PATH; and a new script written there, checked with
#      `elizac check`, talked to with `elizac chat --trace` and served with `serve(scripts=[...])`.
#   4. The wheel's pytest suite, Python/tests (the fixture-only suite, the API, the plugin, the README
#      example, the .whl file and its builder), run by that environment's Python. pytest and the
#      clients are not installed into it: a .pth file lets it see the integration venv's
#      (.build/venv, IntegrationTests/requirements.txt), behind its own site-packages.
# Every failure, a skipped test or a run with no test fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${ELIZA_VENV:-.build/venv}"
WHEEL_VENV=.build/venv-wheel
step() { printf '\n==> %s\n' "$*"; }
fail() { echo "error: $*" >&2; exit 1; }

step "make wheel"
make wheel
wheels=(.build/wheel/*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel in .build/wheel, found: ${wheels[*]}"
wheel="$PWD/${wheels[0]}"
version_line=$(.build/lambda/bootstrap --version)
version=$(echo "$version_line" | awk '{print $2}')
ls -l "$wheel"

step "fresh $WHEEL_VENV with only the wheel (pip install --no-index)"
rm -rf "$WHEEL_VENV"
python3 -m venv "$WHEEL_VENV"
py="$PWD/$WHEEL_VENV/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
installed=$("$py" -m pip list --disable-pip-version-check --format=freeze | grep -Ev '^(pip|setuptools)==')
[ "$installed" = "eliza-lambda==$version" ] || fail "expected only eliza-lambda==$version installed, got: $installed"

# No Swift, no repository: PATH has the venv and the system only, and the current directory is empty.
isolated=(env -u ELIZA_LAMBDA_BIN -u VIRTUAL_ENV -u PYTHONPATH PATH="$PWD/$WHEEL_VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

step "the command, python -m eliza_lambda and the Python API, with only the wheel"
(
  cd "$scratch"
  if "${isolated[@]}" sh -c 'command -v swift' >/dev/null; then fail "swift is still on PATH"; fi
  for command in "eliza-lambda" "python -m eliza_lambda"; do
    read -ra argv <<<"$command"
    out=$("${isolated[@]}" "${argv[@]}" --version)
    [ "$out" = "$version_line" ] || fail "$command --version printed: $out"
    echo "$command --version: $out"
  done
  "${isolated[@]}" python - <<'EOF'
import json, sys, urllib.request
import eliza_lambda

assert eliza_lambda.binary_path().is_relative_to(sys.prefix), eliza_lambda.binary_path()
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with eliza_lambda.serve() as server:
    body = json.dumps({"model": "eliza", "messages": [{"role": "user", "content": "Men are all alike."}]})
    request = urllib.request.Request(server.base_url + "/chat/completions", data=body.encode())
    with direct.open(request, timeout=20) as response:
        reply = json.load(response)["choices"][0]["message"]["content"]
assert reply == "IN WHAT WAY", reply
assert server.returncode == 0, server.returncode
print(f"serve(): {server.base_url} answered {reply!r}, then stopped with status 0")
EOF
  # A script author's first session, with the wheel only: write, check, chat with the trace, serve.
  cat >mybot.eliza <<'EOF'
(HELLO I AM MYBOT)
(CAT ((0 CAT 0) (TELL ME MORE ABOUT CATS)))
(NONE ((0) (GO ON)))
(MEMORY CAT (0 YOUR 0 = A 3) (0 YOUR 0 = B 3) (0 YOUR 0 = C 3) (0 YOUR 0 = D 3))
EOF
  "${isolated[@]}" elizac check mybot.eliza || fail "elizac check refused mybot.eliza"
  out=$(printf 'my cat\n' | "${isolated[@]}" elizac chat --trace mybot.eliza 2>trace.txt)
  [ "$out" = "$(printf 'HELLO I AM MYBOT\nTELL ME MORE ABOUT CATS')" ] || fail "elizac chat printed: $out"
  grep -q '^trace: ' trace.txt || fail "elizac chat --trace wrote no trace: $(cat trace.txt)"
  echo "elizac check, chat --trace: $(echo "$out" | tail -1)"
  "${isolated[@]}" python - <<'EOF'
import json, urllib.request
import eliza_lambda

direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with eliza_lambda.serve(scripts=["mybot.eliza"]) as server:
    body = json.dumps({"model": "mybot", "messages": [{"role": "user", "content": "my cat"}]})
    request = urllib.request.Request(server.base_url + "/chat/completions", data=body.encode())
    with direct.open(request, timeout=20) as response:
        reply = json.load(response)["choices"][0]["message"]["content"]
assert reply == "TELL ME MORE ABOUT CATS", reply
print(f"serve(scripts=['mybot.eliza']): the model mybot answered {reply!r}")
EOF
)

step "the integration venv ($VENV) for pytest and the clients"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r IntegrationTests/requirements.txt
purelib() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
same_python='import sys; print(sys.version_info[:2])'
[ "$("$py" -c "$same_python")" = "$("$VENV/bin/python" -c "$same_python")" ] \
  || fail "$WHEEL_VENV and $VENV have different Python versions"
echo "$(cd "$(purelib "$VENV/bin/python")" && pwd)" >"$(purelib "$py")/eliza-test-tools.pth"

step "pytest Python/tests in $WHEEL_VENV (the installed wheel only; no repository sources on the path)"
report="$scratch/junit.xml"
(
  cd "$scratch"
  "${isolated[@]}" PYTHONDONTWRITEBYTECODE=1 ELIZA_WHEEL="$wheel" LITELLM_LOCAL_MODEL_COST_MAP=True \
    LITELLM_TELEMETRY=False python -m pytest -q -p no:cacheprovider -p pytester --junitxml="$report" \
    --rootdir="$OLDPWD/Python/tests" "$OLDPWD/Python/tests"
)
python3 - "$report" <<'EOF'
import sys
import xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
counts = {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}
print("wheel tests:", counts)
if counts["tests"] == 0 or counts["failures"] or counts["errors"] or counts["skipped"]:
    sys.exit("error: the wheel's suite must run tests, with no failure, error or skip")
EOF
