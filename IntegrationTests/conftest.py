"""Shared helpers for the deployment tests: the repository root, a CloudFormation-aware YAML loader,
and a directory of fake `aws` / `sam` / `curl` commands that record every call instead of reaching AWS."""

import json
import os
import shutil
import stat
import textwrap
import time
from pathlib import Path

import pytest
import yaml

import recorded

# ELIZA_RECORD_RESPONSES: the responses of the servers the tests start are written for test_openapi.py.
recorded.install()

ROOT = Path(__file__).resolve().parents[1]


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short forms (!Ref X, !Sub s, !GetAtt A.B, ...) into the
    long forms ({"Ref": "X"}, {"Fn::Sub": "s"}, {"Fn::GetAtt": ["A", "B"]}, ...)."""


def _short_form(loader: CfnLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _short_form)


def load_template(path: Path = ROOT / "template.yaml") -> dict:
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


# Each fake appends "<name> <args>" to $FAKE_LOG. `aws` fails `sts get-caller-identity` unless
# FAKE_AWS_CREDENTIALS=1, prints $FAKE_OUTPUTS for describe-stacks and $FAKE_LOGS for `logs tail`.
# Asked for a StackStatus (deploy.sh's "does the stack exist?"), describe-stacks prints $FAKE_STACK,
# or fails like the real CLI: with $FAKE_DESCRIBE_ERROR, else "Stack with id ... does not exist".
# `sam deploy` sleeps $FAKE_SAM_DEPLOY_SLEEP seconds when set, and copies the file given to
# --config-file to $FAKE_LOG.<its name> (its mode to $FAKE_LOG.<its name>.mode): deploy.sh deletes
# it on exit. `curl` fails: the tests that use the fakes never expect a network call unless they
# put a real curl on PATH themselves.
FAKES = {
    "aws": r"""
        echo "aws $*" >>"$FAKE_LOG"
        case "$*" in
          --version) echo "aws-cli/2.15.0 Python/3.11.6 Linux/6 exe/x86_64"; exit 0 ;;
          "sts get-caller-identity"*)
            if [ "${FAKE_AWS_CREDENTIALS:-0}" = 1 ]; then echo '{"Account": "123456789012"}'; exit 0; fi
            echo "Unable to locate credentials. You can configure credentials by running \"aws configure\"." >&2
            exit 255 ;;
          "cloudformation describe-stacks"*StackStatus*)
            if [ -n "${FAKE_DESCRIBE_ERROR:-}" ]; then echo "$FAKE_DESCRIBE_ERROR" >&2; exit 255; fi
            if [ -n "${FAKE_STACK:-}" ]; then printf '%b\n' "$FAKE_STACK"; exit 0; fi
            echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $4 does not exist" >&2
            exit 254 ;;
          "cloudformation describe-stacks"*) printf '%b' "${FAKE_OUTPUTS:-}"; exit 0 ;;
          "logs tail"*) cat "${FAKE_LOGS:-/dev/null}"; exit 0 ;;
        esac
        exit 0
    """,
    "sam": r"""
        echo "sam $* LAMBDA_ARCH=${LAMBDA_ARCH:-}" >>"$FAKE_LOG"
        previous=""
        for arg in "$@"; do
          if [ "$previous" = --config-file ]; then
            cp "$arg" "$FAKE_LOG.$(basename "$arg")"
            stat -c %a "$arg" >"$FAKE_LOG.$(basename "$arg").mode"
          fi
          previous="$arg"
        done
        if [ "${1:-}" = deploy ] && [ -n "${FAKE_SAM_DEPLOY_SLEEP:-}" ]; then sleep "$FAKE_SAM_DEPLOY_SLEEP"; fi
        exit 0
    """,
    "curl": r"""
        echo "curl $*" >>"$FAKE_LOG"
        exit 7
    """,
}


def make_fakes(directory: Path, names=("aws", "sam", "curl")) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = directory / name
        path.write_text("#!/bin/bash\n" + textwrap.dedent(FAKES[name]).lstrip())
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def require_no_system_sam():
    """Tests of the missing-sam path need a PATH without sam besides the fakes."""
    if shutil.which("sam", path=SYSTEM_PATH):
        pytest.skip(f"sam is installed in {SYSTEM_PATH}")


def clean_env(tmp_path: Path, fake_bin: Path, **extra: str) -> dict:
    """An environment with no AWS credentials or region and the fakes first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "ELIZA_", "FAKE_", "SAM_", "SMOKE_"))
    }
    env.update(
        PATH=f"{fake_bin}:{SYSTEM_PATH}",
        HOME=str(tmp_path / "home"),
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        FAKE_LOG=str(tmp_path / "calls.log"),
    )
    env.update(extra)
    return env


def offline_sam_env(tmp_path: Path) -> dict:
    """Variables under which the SAM CLI stays on this machine: no telemetry, and its weekly
    "newer version?" request to pypi.org already done (a fresh app directory, recorded as checked now)."""
    app_dir = tmp_path / "sam-app-dir"
    app_dir.mkdir(exist_ok=True)
    (app_dir / "metadata.json").write_text(json.dumps({"lastVersionCheck": time.time(), "telemetryEnabled": False}))
    return {"SAM_CLI_TELEMETRY": "0", "__SAM_CLI_APP_DIR": str(app_dir)}


def calls(env: dict) -> list[str]:
    path = Path(env["FAKE_LOG"])
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    return make_fakes(tmp_path / "bin")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With ELIZA_NO_SKIPS=1 (Tools/test.sh sets it), a skipped test is a failure: the full run must
    have every tool it needs, so a missing install step cannot hide behind a skip."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("ELIZA_NO_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in a full run (ELIZA_NO_SKIPS=1): {report.longrepr}"
