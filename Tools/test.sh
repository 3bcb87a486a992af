#!/usr/bin/env bash
# The project's whole test run: what the README's `make test` and CI's .ci/run execute.
#   Swift: build, unit/loopback/fake-Runtime-API tests (swift test), a short libFuzzer pass over
#   every fuzz target, elizac over Scripts/; load, abuse and Lambda soak checks.
#   Lambda: the static release `bootstrap` and its zip (make lambda).
#   Python: real clients (openai, the OpenAI Agents SDK, anthropic, litellm, the LiteLLM proxy), the
#   bootstrap end-to-end checks, the SAM template checks, deploy/smoke script checks; installed from
#   PyPI into .build/venv.
# Any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# Two environments: the clients (openai, litellm[proxy]) and the AWS SAM CLI pin conflicting
# versions of shared dependencies, so resolving them together makes pip backtrack for a long time.
VENV="${ELIZA_VENV:-.build/venv}"
SAM_VENV="${ELIZA_SAM_VENV:-.build/venv-sam}"
step() { printf '\n==> %s\n' "$*"; }

step "swift build"
swift build

step "swift test"
swift test

step "fuzz: every libFuzzer target for 30 s (Fuzz/README.md)"
Fuzz/run-all.sh 30

step "elizac: check every Scripts/*.eliza"
"$(swift build --show-bin-path)/elizac"

step "make lambda: static release bootstrap and zip"
make lambda

step "load, abuse and Lambda soak checks (release bootstrap, 127.0.0.1 only)"
python3 Tools/load.py --requests 20000 --concurrency 16 --mix default --check
python3 Tools/abuse.py
python3 Tools/soak-lambda.py --invocations 30000 --startup-runs 5

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

export PATH="$PWD/$VENV/bin:$PWD/$SAM_VENV/bin:$PATH" SAM_CLI_TELEMETRY=0 ELIZA_NO_SKIPS=1
export ELIZA_LAMBDA_BIN="$(swift build --show-bin-path)/eliza-lambda"
# The template and deploy checks import the SAM CLI's own modules, so they run in its environment.
SAM_TESTS=(IntegrationTests/test_template.py IntegrationTests/test_deploy_sh.py)

step "pytest: real clients, bootstrap end-to-end, packaging, smoke script ($VENV)"
VIRTUAL_ENV="$PWD/$VENV" "$VENV/bin/python" -m pytest -q -p no:cacheprovider IntegrationTests \
  $(printf -- '--ignore=%s ' "${SAM_TESTS[@]}")

step "pytest: template and deploy checks ($SAM_VENV)"
VIRTUAL_ENV="$PWD/$SAM_VENV" "$SAM_VENV/bin/python" -m pytest -q -p no:cacheprovider "${SAM_TESTS[@]}"
