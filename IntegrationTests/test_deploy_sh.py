"""deploy.sh: the commands it runs (checked with --dry-run and against fake sam/aws), its parameter
quoting as SAM parses it, and its refusal to run without the SAM CLI."""

import shlex
import subprocess

import pytest

from conftest import ROOT, calls, clean_env, make_fakes, require_no_system_sam

DEPLOY = str(ROOT / "deploy.sh")
KEY = "sk-test_Secret123"


def deploy(env, *args):
    return subprocess.run([DEPLOY, *args], env=env, capture_output=True, text=True, timeout=60)


def command_lines(stdout: str) -> list[str]:
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


def sam_parameter_overrides(sam_deploy_line: str) -> dict:
    """Parses the printed --parameter-overrides the way the SAM CLI does (when it is importable)."""
    types = pytest.importorskip("samcli.cli.types", reason="aws-sam-cli is not installed")
    argv = shlex.split(sam_deploy_line)
    values = argv[argv.index("--parameter-overrides") + 1:]
    return types.CfnParameterOverridesType().convert(tuple(values), None, None)


def test_dry_run_prints_build_then_deploy_with_the_overrides(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", "--stack-name", "eliza-test", "--region", "eu-central-1",
                    "--allowed-cidrs", "203.0.113.0/24,2001:db8::/32", "--api-key", KEY,
                    "--architecture", "arm64")
    assert result.returncode == 0, result.stderr
    lines = command_lines(result.stdout)
    build = next(i for i, line in enumerate(lines) if "sam build" in line)
    deploy_line = next(i for i, line in enumerate(lines) if line.startswith("sam deploy"))
    assert build < deploy_line
    assert "LAMBDA_ARCH=arm64" in lines[build]
    argv = shlex.split(lines[deploy_line])
    for flag, value in [("--stack-name", "eliza-test"), ("--region", "eu-central-1"),
                        ("--capabilities", "CAPABILITY_IAM")]:
        assert argv[argv.index(flag) + 1] == value
    for flag in ("--resolve-s3", "--no-fail-on-empty-changeset"):
        assert flag in argv
    assert 'AllowedCallerCIDR="203.0.113.0/24,2001:db8::/32"' in argv
    assert 'Architecture="arm64"' in argv
    assert 'LogGroupName="/aws/lambda/eliza-test"' in argv
    # The key is passed, but never printed.
    assert 'ApiKey="***"' in argv
    assert KEY not in result.stdout + result.stderr
    assert any("describe-stacks" in line for line in lines[deploy_line:])
    assert "/v1" in result.stdout and "model: openai/eliza" in result.stdout
    assert calls(env) == [], "a dry run must not run sam or aws"


def test_dry_run_overrides_parse_in_sam_with_empty_values(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, AWS_REGION="us-west-2")
    result = deploy(env, "--dry-run", "--allowed-cidrs", "203.0.113.0/24, ::1")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in command_lines(result.stdout) if line.startswith("sam deploy")]
    assert "--region us-west-2" in line and "--stack-name eliza-lambda" in line
    assert sam_parameter_overrides(line) == {
        "AllowedCallerCIDR": "203.0.113.0/24, ::1",
        "ApiKey": "",
        "Architecture": "x86_64",
        "LogGroupName": "/aws/lambda/eliza-lambda",
    }


def test_api_key_from_the_environment(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, ELIZA_API_KEY=KEY)
    result = deploy(env, "--dry-run", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert 'ApiKey="***"' in result.stdout and KEY not in result.stdout


def test_real_run_against_fakes_runs_build_deploy_and_reads_the_outputs(tmp_path, fake_bin):
    outputs = ("ApiBaseUrl\\thttps://abc123.execute-api.eu-west-1.amazonaws.com/v1\\n"
               "FunctionName\\teliza-lambda-ElizaFunction-XYZ\\n"
               "FunctionLogGroupName\\t/aws/lambda/eliza-lambda\\n"
               "AccessLogGroupName\\t/aws/vendedlogs/apigateway/eliza-lambda-access\\n")
    env = clean_env(tmp_path, fake_bin, FAKE_OUTPUTS=outputs)
    result = deploy(env, "--region", "eu-west-1", "--api-key", KEY)
    assert result.returncode == 0, result.stderr
    log = calls(env)
    assert [line.split()[:2] for line in log] == [
        ["sam", "build"], ["sam", "deploy"], ["aws", "cloudformation"]]
    assert "LAMBDA_ARCH=x86_64" in log[0]
    assert f'ApiKey="{KEY}"' in log[1], "the real key reaches sam"
    assert KEY not in result.stdout + result.stderr
    assert "api_base: https://abc123.execute-api.eu-west-1.amazonaws.com/v1" in result.stdout
    assert 'base_url="https://abc123.execute-api.eu-west-1.amazonaws.com/v1"' in result.stdout
    assert "aws logs tail /aws/lambda/eliza-lambda" in result.stdout


def test_without_sam_exits_2_with_the_install_hint(tmp_path):
    require_no_system_sam()
    fake_bin = make_fakes(tmp_path / "bin", names=("aws",))
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--region", "us-east-1")
    assert result.returncode == 2
    assert "pip install aws-sam-cli" in result.stderr
    assert calls(env) == []


@pytest.mark.parametrize("args", [
    [],                                                     # no region anywhere
    ["--region", "r", "--architecture", "sparc"],
    ["--region", "r", "--api-key", "has space"],
    ["--region", "r", "--allowed-cidrs", '1.2.3.4"'],
    ["--region", "r", "--stack-name", "1-starts-with-a-digit"],
    ["--region", "r", "--bogus"],
    ["--region"],
])
def test_usage_errors_exit_64(tmp_path, fake_bin, args):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", *args)
    assert result.returncode == 64, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert calls(env) == []


def test_help(tmp_path, fake_bin):
    result = deploy(clean_env(tmp_path, fake_bin), "--help")
    assert result.returncode == 0
    assert "--allowed-cidrs" in result.stdout and "--dry-run" in result.stdout
