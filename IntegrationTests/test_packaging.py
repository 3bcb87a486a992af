"""Packaging: the Lambda zip layout, the Makefile's commands (checked with `make -n`, nothing is built),
and the LiteLLM example that the integration test rewrites."""

import re
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest
import yaml

from conftest import ROOT

MAKEFILE = ROOT / "Makefile"


def test_zip_holds_an_executable_bootstrap_at_the_root(tmp_path):
    binary = tmp_path / "bootstrap"
    binary.write_bytes(b"\x7fELF not really")
    archive = tmp_path / "bootstrap.zip"
    subprocess.run([sys.executable, str(ROOT / "Tools" / "zip_bootstrap.py"), str(binary), str(archive)],
                   check=True)
    with zipfile.ZipFile(archive) as z:
        (entry,) = z.infolist()
        assert entry.filename == "bootstrap"
        assert entry.create_system == 3
        assert stat.S_ISREG(entry.external_attr >> 16)
        assert stat.S_IMODE(entry.external_attr >> 16) == 0o755
        assert z.read("bootstrap") == binary.read_bytes()


def make_dry(*args, cwd=ROOT):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "-n", "-f", str(MAKEFILE), *args], cwd=cwd, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_target_is_phony():
    text = MAKEFILE.read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())
    targets = set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", text, re.M))
    assert targets <= phony
    assert {"build", "test", "lambda", "build-ElizaFunction", "deploy", "bench", "smoke-aws",
            "clean"} <= targets


def test_lambda_target_builds_a_static_release_binary(tmp_path):
    out = make_dry("lambda", "LAMBDA_ARCH=" + ("arm64" if _host_arch() == "arm64" else "x86_64"),
                   cwd=tmp_path)
    build = next(line for line in out.splitlines() if " build " in line and "--show-bin-path" not in line)
    for part in ("-c release", "--product eliza-lambda", "-Xswiftc -static-executable",
                 f"--package-path {ROOT}", f"--scratch-path {ROOT}/.build/lambda-build"):
        assert part in build, build
    assert f"{ROOT}/.build/lambda/bootstrap" in out
    assert "chmod 755" in out and "strip " in out and "bootstrap.zip" in out


def test_cross_architecture_build_uses_the_static_linux_sdk():
    other = "x86_64" if _host_arch() == "arm64" else "arm64"
    triple = {"arm64": "aarch64", "x86_64": "x86_64"}[other]
    out = make_dry("lambda", f"LAMBDA_ARCH={other}")
    assert f"--swift-sdk {triple}-swift-linux-musl" in out
    assert "-static-executable" not in out


def test_sam_builder_target_copies_bootstrap_into_the_artifacts_dir(tmp_path):
    out = make_dry("build-ElizaFunction", f"ARTIFACTS_DIR={tmp_path}/artifacts", cwd=tmp_path)
    assert f"cp -p {ROOT}/.build/lambda/bootstrap \"{tmp_path}/artifacts/bootstrap\"" in out
    assert "--product eliza-lambda" in out  # the recursive `make lambda`


def test_other_targets():
    assert "./Tools/test.sh" in make_dry("test")
    assert "./deploy.sh" in make_dry("deploy")
    assert "run --package-path" in make_dry("bench") and "-c release eliza-bench" in make_dry("bench")
    assert "./Tools/smoke-aws.sh" in make_dry("smoke-aws")


def _host_arch():
    machine = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip()
    return "arm64" if machine in ("arm64", "aarch64") else machine


def test_litellm_example():
    path = ROOT / "examples" / "litellm" / "config.yaml"
    text = path.read_text()
    (entry,) = yaml.safe_load(text)["model_list"]
    assert entry["model_name"] == "eliza"
    params = entry["litellm_params"]
    assert params["model"] == "openai/eliza"
    assert params["api_key"] == "os.environ/ELIZA_API_KEY"
    assert "supports_system_message" not in params
    # One line that a test can substitute: `api_base: <url ending in /v1>`.
    (line,) = [line for line in text.splitlines() if re.match(r"^\s*api_base:", line)]
    assert line.strip() == f"api_base: {params['api_base']}" and params["api_base"].endswith("/v1")
