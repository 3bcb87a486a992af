#!/usr/bin/env bash
# The project's whole test run: what the README's `make test` and CI's .ci/run execute.
#   Swift: the formatter's lint, build, unit/loopback/fake-Runtime-API tests (swift test, and again on the portable POSIX
#   backends macOS uses), a short libFuzzer pass over
#   every fuzz target, elizac over Scripts/; load, abuse and Lambda soak checks.
#   Lambda: the static release `bootstrap` and its zip (make lambda).
#   Wheel: the Python wheel around that bootstrap, installed and tested in a fresh venv (Tools/test-wheel.sh).
#   Python: real clients (openai, the OpenAI Agents SDK, anthropic, litellm, the LiteLLM proxy), the
#   bootstrap end-to-end checks, the SAM template checks, deploy/smoke script checks; installed from
#   PyPI into .build/venv.
#   Browser: the playground page in Debian's headless chromium (apt-get, skipped when present).
#   Docs: every internal link of README.md and docs/, the configuration table against --help, the examples run
#   (IntegrationTests/test_docs.py).
#   OpenAPI: docs/openapi.yaml validated, fuzzed against the server with schemathesis, and every response the
#   Swift and Python tests recorded (ELIZA_RECORD_RESPONSES) validated against it (IntegrationTests/test_openapi.py).
# Any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# Two environments: the clients (openai, litellm[proxy]) and the AWS SAM CLI pin conflicting
# versions of shared dependencies, so resolving them together makes pip backtrack for a long time.
# Either may be given relative to the repository or absolute; both are made absolute here.
VENV="${ELIZA_VENV:-.build/venv}"
SAM_VENV="${ELIZA_SAM_VENV:-.build/venv-sam}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
case "$SAM_VENV" in /*) ;; *) SAM_VENV="$PWD/$SAM_VENV" ;; esac
step() { printf '\n==> %s\n' "$*"; }

step "swift format lint --strict (.swift-format: the toolchain's formatter keeps the tree as it is)"
swift format lint --strict --recursive --parallel Sources Tests Plugins Fuzz

step "swift build"
swift build

# Every response the API tests answer is recorded for the OpenAPI check at the end.
RECORDED="$PWD/.build/recorded-responses"
rm -rf "$RECORDED"

step "swift test"
ELIZA_RECORD_RESPONSES="$RECORDED/swift" swift test

# macOS takes other code paths in ElizaHTTP (poll(2) instead of epoll, accept and socket without the
# Linux-only flags); built with ELIZA_PORTABLE_POSIX, Linux takes them too, so they are tested here.
step "swift test, portable POSIX build (-D ELIZA_PORTABLE_POSIX: the event loop and sockets macOS uses)"
swift build --build-tests --scratch-path .build-portable -Xswiftc -DELIZA_PORTABLE_POSIX
swift test --skip-build --scratch-path .build-portable

step "fuzz: every libFuzzer target for 30 s (Fuzz/README.md)"
Fuzz/run-all.sh 30

step "elizac: check every Scripts/*.eliza"
"$(swift build --show-bin-path)/elizac"

step "make lambda: static release bootstrap and zip"
make lambda

step "load, abuse and Lambda soak checks (release bootstrap, 127.0.0.1 only)"
python3 Tools/load.py --requests 20000 --concurrency 16 --mix default --check
# Paced streams held at once while plain requests are timed (docs/failures.md, "Scale"); short here.
python3 Tools/load-streams.py --streams 1000 --hold 5 --check
python3 Tools/abuse.py
python3 Tools/soak-lambda.py --invocations 30000 --startup-runs 5
python3 Tools/soak-lambda.py --streaming --invocations 10000 --startup-runs 0

step "chromium and chromium-driver for the playground's browser test (Debian packages)"
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  echo "present: $(chromium --version 2>/dev/null | head -1)"
else
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver
fi

step "Python virtual environments ($VENV, $SAM_VENV)"
for env in "$VENV" "$SAM_VENV"; do
  [ -x "$env/bin/python" ] || python3 -m venv "$env"
done
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r IntegrationTests/requirements.txt &
clients=$!
"$SAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r IntegrationTests/requirements-sam.txt &
sam=$!
wait "$clients"
wait "$sam"

# The Python wheel: make wheel, a fresh venv with only the wheel (--no-index), its command, Python API,
# pytest plugin and the README example (Tools/test-wheel.sh; runs alone too).
step "wheel: Tools/test-wheel.sh"
ELIZA_VENV="$VENV" Tools/test-wheel.sh

export PATH="$VENV/bin:$SAM_VENV/bin:$PATH" SAM_CLI_TELEMETRY=0 ELIZA_NO_SKIPS=1
export ELIZA_LAMBDA_BIN="$(swift build --show-bin-path)/eliza-lambda"
# The template and deploy checks import the SAM CLI's own modules, so they run in its environment.
SAM_TESTS=(IntegrationTests/test_template.py IntegrationTests/test_template_rest.py IntegrationTests/test_template_monitoring.py
  IntegrationTests/test_deploy_sh.py)
RECORDED_TEST=IntegrationTests/test_openapi.py::test_every_recorded_response_is_as_documented

step "pytest: real clients, the playground in chromium, bootstrap end-to-end, packaging, smoke script ($VENV)"
ELIZA_RECORD_RESPONSES="$RECORDED/python" VIRTUAL_ENV="$VENV" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  IntegrationTests $(printf -- '--ignore=%s ' "${SAM_TESTS[@]}") --deselect "$RECORDED_TEST"

step "pytest: template and deploy checks ($SAM_VENV)"
VIRTUAL_ENV="$SAM_VENV" "$SAM_VENV/bin/python" -m pytest -q -p no:cacheprovider "${SAM_TESTS[@]}"

step "OpenAPI: every response the Swift and Python tests recorded, against docs/openapi.yaml"
ELIZA_RECORDED_RESPONSES="$RECORDED/swift:$RECORDED/python" VIRTUAL_ENV="$VENV" "$VENV/bin/python" -m pytest -q \
  -p no:cacheprovider "$RECORDED_TEST"
