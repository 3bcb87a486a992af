"""deploy.sh: the commands it runs (checked with --dry-run and against fake sam/aws), the parameters it
hands to sam (through a private file, read back with the SAM CLI's own option parsing), closed-by-default
access (a generated key, --public, the stack's previous values on a re-run), and its refusal to run
without the SAM CLI."""

import inspect
import os
import re
import shlex
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from conftest import ROOT, calls, clean_env, load_template, make_fakes, offline_sam_env, require_no_system_sam

DEPLOY = str(ROOT / "deploy.sh")
KEY = "sk-test_Secret123"
GENERATED = re.compile(r"^  export ELIZA_API_KEY=(\S+)$", re.M)
OUTPUTS = ("ApiBaseUrl\\thttps://abc123.execute-api.eu-west-1.amazonaws.com/v1\\n"
           "FunctionName\\teliza-lambda-ElizaFunction-XYZ\\n"
           "FunctionLogGroupName\\t/aws/lambda/eliza-lambda\\n"
           "AccessLogGroupName\\t/aws/vendedlogs/apigateway/eliza-lambda-access\\n")
# What the fake `aws` answers to deploy.sh's status query: status, AllowedCallerCIDR, ApiKeyRequired.
EXISTING_WITH_KEY_AND_LIST = "UPDATE_COMPLETE\\t203.0.113.0/24, 2001:db8::/32\\ttrue"
EXISTING_OPEN = "UPDATE_COMPLETE\\t-\\tfalse"


def deploy(env, *args):
    return subprocess.run([DEPLOY, *args], env=env, capture_output=True, text=True, timeout=60)


def command_lines(stdout: str) -> list[str]:
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


def shown_parameters(text: str) -> dict:
    """The parameters deploy.sh reports it put in sam's file, parsed the way the SAM CLI parses them."""
    types = pytest.importorskip("samcli.cli.types", reason="aws-sam-cli is not installed")
    (line,) = [line for line in text.splitlines() if line.startswith("  parameters in that file: ")]
    # One string of Key="value" pairs, as in the file's parameter_overrides.
    return types.CfnParameterOverridesType().convert((line.split(": ", 1)[1],), None, None)


def sam_deploy_call(env) -> list[str]:
    (line,) = [line for line in calls(env) if line.startswith("sam deploy ")]
    return line.split()


def config_copy(env) -> Path:
    argv = sam_deploy_call(env)
    name = Path(argv[argv.index("--config-file") + 1]).name
    return Path(env["FAKE_LOG"] + "." + name)


def sam_parameters(env, tmp_path, monkeypatch) -> dict:
    """The parameter overrides the real SAM CLI takes from the `sam deploy` command line deploy.sh ran
    (as the fake recorded it) and the config file it passed (the fake's copy): the CLI's own option and
    config-file handling, with the deploy itself (`do_cli`) replaced so that nothing reaches AWS."""
    pytest.importorskip("samcli", reason="aws-sam-cli is not installed")
    from click.testing import CliRunner
    import samcli.commands.deploy.command as deploy_command
    import samcli.lib.utils.version_checker as version_checker
    from samcli.cli.main import cli

    for name, value in offline_sam_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    argv = sam_deploy_call(env)[1:-1]  # without "sam" and the fake's LAMBDA_ARCH= note
    argv[argv.index("--template-file") + 1] = str(ROOT / "template.yaml")  # sam build's output is absent
    argv[argv.index("--config-file") + 1] = str(config_copy(env))
    signature = inspect.signature(deploy_command.do_cli)
    with mock.patch.object(deploy_command, "do_cli") as do_cli, \
            mock.patch.object(version_checker, "fetch_and_compare_versions") as version_check:
        result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, (result.output, result.exception)
    assert not version_check.called, "the SAM CLI would have asked pypi.org for its latest version"
    (args, kwargs), = [do_cli.call_args]
    return signature.bind(*args, **kwargs).arguments["parameter_overrides"]


def sam_parameter_values(overrides: dict) -> dict:
    """What SAM sends to CloudFormation for these overrides: every template parameter, either with a
    value or as UsePreviousValue (deploy_context.merge_parameters; for a new stack SAM then drops the
    UsePreviousValue ones, leaving the template default)."""
    from samcli.commands.deploy.deploy_context import DeployContext
    merged = DeployContext.merge_parameters(load_template(), overrides)
    return {p["ParameterKey"]: "<previous>" if p.get("UsePreviousValue") else p["ParameterValue"] for p in merged}


# --- dry run -----------------------------------------------------------------------------------------

def test_dry_run_prints_state_check_build_then_deploy(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", "--stack-name", "eliza-test", "--region", "eu-central-1",
                    "--allowed-cidrs", "203.0.113.0/24,2001:db8::/32", "--api-key", KEY,
                    "--architecture", "arm64")
    assert result.returncode == 0, result.stderr
    lines = command_lines(result.stdout)
    state = next(i for i, line in enumerate(lines) if "describe-stacks" in line and "StackStatus" in line)
    build = next(i for i, line in enumerate(lines) if "sam build" in line)
    deploy_line = next(i for i, line in enumerate(lines) if line.startswith("sam deploy"))
    assert state < build < deploy_line
    assert "LAMBDA_ARCH=arm64" in lines[build]
    argv = shlex.split(lines[deploy_line])
    for flag, value in [("--stack-name", "eliza-test"), ("--region", "eu-central-1"),
                        ("--capabilities", "CAPABILITY_IAM")]:
        assert argv[argv.index(flag) + 1] == value
    for flag in ("--resolve-s3", "--no-fail-on-empty-changeset", "--config-file"):
        assert flag in argv
    assert "--parameter-overrides" not in argv, "parameters go through the file"
    assert shown_parameters(result.stdout) == {
        "AllowedCallerCIDR": "203.0.113.0/24,2001:db8::/32",
        "ApiKey": "***",  # passed, never printed
        "Architecture": "arm64",
        "LogGroupName": "/aws/lambda/eliza-test",
    }
    assert KEY not in result.stdout + result.stderr
    assert any("describe-stacks" in line and "Outputs" in line for line in lines[deploy_line:])
    assert "/v1" in result.stdout and "model: openai/eliza" in result.stdout
    assert calls(env) == [], "a dry run must not run sam or aws"


def test_dry_run_with_an_allow_list_only_has_no_key(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, AWS_REGION="us-west-2")
    result = deploy(env, "--dry-run", "--allowed-cidrs", "203.0.113.0/24, ::1")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in command_lines(result.stdout) if line.startswith("sam deploy")]
    assert "--region us-west-2" in line and "--stack-name eliza-lambda" in line
    assert shown_parameters(result.stdout) == {
        "AllowedCallerCIDR": "203.0.113.0/24, ::1",
        "ApiKey": "",
        "Architecture": "x86_64",
        "LogGroupName": "/aws/lambda/eliza-lambda",
    }
    assert not GENERATED.search(result.stdout)


def test_api_key_from_the_environment(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, ELIZA_API_KEY=KEY)
    result = deploy(env, "--dry-run", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert shown_parameters(result.stdout)["ApiKey"] == "***" and KEY not in result.stdout
    assert "would be generated" not in result.stdout


def test_make_deploy_is_closed_by_default_too(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "deploy",
                             "DEPLOY_ARGS=--dry-run --region eu-west-1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert shown_parameters(result.stdout) == {
        "AllowedCallerCIDR": "", "ApiKey": "***", "Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda"}
    assert "The API key would be generated now and shown here, once." in result.stdout


# --- against the fakes: a new stack --------------------------------------------------------------------

def test_real_run_against_fakes_runs_build_deploy_and_reads_the_outputs(tmp_path, fake_bin, monkeypatch):
    env = clean_env(tmp_path, fake_bin, FAKE_OUTPUTS=OUTPUTS)
    result = deploy(env, "--region", "eu-west-1", "--api-key", KEY)
    assert result.returncode == 0, result.stderr
    log = calls(env)
    assert [line.split()[:3] for line in log] == [
        ["aws", "cloudformation", "describe-stacks"], ["sam", "build", "--template-file"],
        ["sam", "deploy", "--template-file"], ["aws", "cloudformation", "describe-stacks"]]
    assert "StackStatus" in log[0] and "Outputs[]" in log[3]
    assert "LAMBDA_ARCH=x86_64" in log[1]
    assert KEY not in "\n".join(log), "the key is on no command line"
    assert config_copy(env).read_text().count(KEY) == 1
    assert sam_parameters(env, tmp_path, monkeypatch) == {
        "AllowedCallerCIDR": "", "ApiKey": KEY, "Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda"}
    assert KEY not in result.stdout + result.stderr
    assert "api_base: https://abc123.execute-api.eu-west-1.amazonaws.com/v1" in result.stdout
    assert 'base_url="https://abc123.execute-api.eu-west-1.amazonaws.com/v1"' in result.stdout
    assert "aws logs tail /aws/lambda/eliza-lambda" in result.stdout
    assert "the key passed to --api-key" in result.stdout
    assert not GENERATED.search(result.stdout)


def test_new_stack_without_key_or_allow_list_gets_a_generated_key_printed_once(tmp_path, fake_bin, monkeypatch):
    env = clean_env(tmp_path, fake_bin, FAKE_OUTPUTS=OUTPUTS + "ApiKeyRequired\\ttrue\\nAllowedCallers\\teveryone\\n")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    (key,) = GENERATED.findall(result.stdout)
    assert re.fullmatch(r"eliza-[0-9a-f]{48}", key)
    assert re.fullmatch(load_template()["Parameters"]["ApiKey"]["AllowedPattern"], key)
    output = result.stdout + result.stderr
    assert output.count(key) == 1, "printed once, masked everywhere else"
    assert 'ApiKey="***"' in result.stderr
    # The LiteLLM block follows the key and uses it.
    assert result.stdout.index(key) < result.stdout.index("model_list:")
    assert "ELIZA_API_KEY=<the key generated for this stack, above>" in result.stdout
    # It reached sam, in a file only this user could read, and on no command line.
    assert key not in "\n".join(calls(env))
    assert Path(str(config_copy(env)) + ".mode").read_text().strip() == "600"
    assert sam_parameters(env, tmp_path, monkeypatch) == {
        "AllowedCallerCIDR": "", "ApiKey": key, "Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda"}
    # deploy.sh removed its temporary directory.
    argv = sam_deploy_call(env)
    assert not Path(argv[argv.index("--config-file") + 1]).parent.exists()
    # A second new stack gets a different key.
    env2 = clean_env(tmp_path / "second", fake_bin, FAKE_LOG=str(tmp_path / "second.log"))
    (tmp_path / "second").mkdir()
    (other,) = GENERATED.findall(deploy(env2, "--region", "eu-west-1").stdout)
    assert other != key


def test_review_in_progress_is_a_new_stack(tmp_path, fake_bin):
    """A stack a failed first change set left behind has no previous values: SAM creates it afresh."""
    env = clean_env(tmp_path, fake_bin, FAKE_STACK="REVIEW_IN_PROGRESS\\t-\\t-")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    (key,) = GENERATED.findall(result.stdout)
    assert f'ApiKey=\\"{key}\\"' in config_copy(env).read_text()


def test_public_deploys_with_neither_key_nor_allow_list(tmp_path, fake_bin, monkeypatch):
    env = clean_env(tmp_path, fake_bin, ELIZA_API_KEY=KEY,  # exported for the clients: --public wins
                    FAKE_OUTPUTS=OUTPUTS + "ApiKeyRequired\\tfalse\\nAllowedCallers\\teveryone\\n")
    result = deploy(env, "--region", "eu-west-1", "--public")
    assert result.returncode == 0, result.stderr
    assert sam_parameters(env, tmp_path, monkeypatch) == {
        "AllowedCallerCIDR": "", "ApiKey": "", "Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda"}
    assert not GENERATED.search(result.stdout) and KEY not in result.stdout + result.stderr
    assert "any non-empty value: the stack has no API key" in result.stdout
    assert "warning" not in result.stderr, "asked to be open: no warning"


def test_public_also_opens_an_existing_stack(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK=EXISTING_WITH_KEY_AND_LIST)
    result = deploy(env, "--region", "eu-west-1", "--public")
    assert result.returncode == 0, result.stderr
    assert {"AllowedCallerCIDR": "", "ApiKey": ""}.items() <= shown_parameters(result.stderr).items()


# --- against the fakes: an existing stack -------------------------------------------------------------

def test_rerun_keeps_the_stacks_key_and_allow_list(tmp_path, fake_bin, monkeypatch):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK=EXISTING_WITH_KEY_AND_LIST,
                    FAKE_OUTPUTS=OUTPUTS + "ApiKeyRequired\\ttrue\\nAllowedCallers\\t203.0.113.0/24, 2001:db8::/32\\n")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    overrides = sam_parameters(env, tmp_path, monkeypatch)
    # Scripts is always sent to an existing stack: they travel in the package, which every deploy rebuilds.
    assert overrides == {"Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda", "Scripts": ""}
    sent = sam_parameter_values(overrides)
    for kept in ("ApiKey", "AllowedCallerCIDR", "ReservedConcurrency", "AllowDirectInvocation"):
        assert sent[kept] == "<previous>", kept
    assert not GENERATED.search(result.stdout)
    assert "the key the stack already had; unchanged" in result.stdout
    assert "every other parameter: the stack's current value" in result.stderr
    assert "warning" not in result.stderr


@pytest.mark.parametrize("args,expected", [
    (["--allowed-cidrs", "198.51.100.0/24"], {"AllowedCallerCIDR": "198.51.100.0/24", "ApiKey": "<previous>"}),
    (["--api-key", ""], {"ApiKey": "", "AllowedCallerCIDR": "<previous>"}),  # the allow-list still guards it
    (["--reserved-concurrency", "-1", "--allow-direct-invocation=true"],
     {"ReservedConcurrency": "-1", "AllowDirectInvocation": "true", "ApiKey": "<previous>"}),
])
def test_rerun_sends_what_is_given_and_keeps_the_rest(tmp_path, fake_bin, monkeypatch, args, expected):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK=EXISTING_WITH_KEY_AND_LIST)
    result = deploy(env, "--region", "eu-west-1", *args)
    assert result.returncode == 0, result.stderr
    sent = sam_parameter_values(sam_parameters(env, tmp_path, monkeypatch))
    assert {name: sent[name] for name in expected} == expected


@pytest.mark.parametrize("stack,args", [
    (EXISTING_OPEN, []),                                           # an old open stack, re-run plainly
    (EXISTING_OPEN, ["--reserved-concurrency", "5"]),
    ("UPDATE_COMPLETE\\t-\\ttrue", ["--api-key", ""]),              # removing the only protection
    ("UPDATE_COMPLETE\\t203.0.113.0/24\\tfalse", ["--allowed-cidrs", ""]),
])
def test_a_deploy_that_would_leave_the_stack_open_needs_public(tmp_path, fake_bin, stack, args):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK=stack)
    result = deploy(env, "--region", "eu-west-1", *args)
    assert result.returncode == 1
    assert "open to every caller" in result.stderr and "--public" in result.stderr
    assert not any(line.startswith("sam ") for line in calls(env)), "nothing built or deployed"
    assert deploy(env, "--region", "eu-west-1", "--public").returncode == 0, "unless asked to be open"


def test_an_old_stack_found_open_after_the_deploy_is_warned_about(tmp_path, fake_bin):
    """A stack from a template without the ApiKeyRequired output: known only from the new outputs."""
    env = clean_env(tmp_path, fake_bin, FAKE_STACK="UPDATE_COMPLETE\\t-\\t-",
                    FAKE_OUTPUTS=OUTPUTS + "ApiKeyRequired\\tfalse\\nAllowedCallers\\teveryone\\n")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert "warning: stack eliza-lambda is open to every caller" in result.stderr
    assert "ApiKeyRequired:       false" in result.stdout


def test_a_failing_state_check_stops_before_building(tmp_path, fake_bin):
    """Guessing "new" would replace the stack's key with a generated one."""
    env = clean_env(tmp_path, fake_bin, FAKE_DESCRIBE_ERROR="Unable to locate credentials.")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 1
    assert "Unable to locate credentials." in result.stderr and "nothing was deployed" in result.stderr
    assert [line.split()[0] for line in calls(env)] == ["aws"]


def test_a_stack_whose_creation_failed_must_be_deleted_first(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK="ROLLBACK_COMPLETE\\t-\\t-")
    result = deploy(env, "--region", "eu-west-1")
    assert result.returncode == 1
    assert "ROLLBACK_COMPLETE" in result.stderr and "sam delete --stack-name eliza-lambda" in result.stderr
    assert not any(line.startswith("sam ") for line in calls(env))


# --- refusals ------------------------------------------------------------------------------------------

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
    ["--region", "r", "--allowed-cidrs", "1.2.3.4\n5.6.7.8"],
    ["--region", "r", "--stack-name", "1-starts-with-a-digit"],
    ["--region", "r", "--log-group-name", 'a"b'],
    ["--region", "r", "--public", "--api-key", KEY],
    ["--region", "r", "--public", "--allowed-cidrs", "203.0.113.0/24"],
    ["--region", "r", "--api-key", ""],                     # a new stack with nothing: say --public
    ["--region", "r", "--reserved-concurrency", "-2"],
    ["--region", "r", "--reserved-concurrency", "ten"],
    ["--region", "r", "--allow-direct-invocation", "yes"],
    ["--region", "r", "--bogus"],
    ["--region", "r", "--public=yes"],
    ["--region", "r", "--front-door", "websocket"],
    ["--region", "r", "--web-acl-arn", "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/a/" + "0" * 36],
    ["--region", "r", "--front-door", "rest", "--web-acl-arn", "arn:aws:wafv2:us-east-1:1:global/webacl/a/b"],
    ["--region"],
    ["--region", "r", "--inline-scripts", "yes"],
    ["--region", "r", "--simulation", "true"],
    ["--region", "r", "--script", "/nonexistent/bot.eliza"],
    ["--region", "r", "--script", str(ROOT / "README.md")],              # not NAME.eliza
    ["--region", "r", "--script", str(ROOT / "Scripts" / "doctor.eliza"), "--script",
     str(ROOT / "Tests" / "ReferenceTables" / ".." / ".." / "Scripts" / "doctor.eliza")],  # one name twice
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
    for option in ("--allowed-cidrs", "--api-key", "--public", "--reserved-concurrency", "--allow-direct-invocation",
                   "--dry-run", "--front-door", "--web-acl-arn"):
        assert option in result.stdout
    assert "generated key" in result.stdout


# --- authors' scripts (issue 22) ------------------------------------------------------------------------

def test_dry_run_with_scripts_ships_them_next_to_bootstrap(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    (tmp_path / "catbot.eliza").write_text("(HI)\n")
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--api-key", KEY,
                    "--script", str(tmp_path / "catbot.eliza"), "--script", str(ROOT / "Scripts" / "palindrome.eliza"),
                    "--inline-scripts", "off")
    assert result.returncode == 0, result.stderr
    lines = command_lines(result.stdout)
    build = next(i for i, line in enumerate(lines) if "sam build" in line)
    (folder,) = re.findall(r"ELIZA_DEPLOY_SCRIPTS=(\S+/scripts) ", lines[build])
    copies = [shlex.split(line) for line in lines[:build] if line.startswith("cp ")]
    assert copies == [["cp", "--", str(tmp_path / "catbot.eliza"), folder + "/"],
                      ["cp", "--", str(ROOT / "Scripts" / "palindrome.eliza"), folder + "/"]]
    assert f"mkdir -p {folder}" in lines[:build]
    assert "LAMBDA_ARCH=x86_64" in lines[build]
    assert shown_parameters(result.stdout) == {
        "AllowedCallerCIDR": "", "ApiKey": "***", "Architecture": "x86_64", "LogGroupName": "/aws/lambda/eliza-lambda",
        "InlineScripts": "off", "Scripts": "/var/task/scripts"}
    assert calls(env) == []


def test_dry_run_without_scripts_ships_none(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--api-key", KEY)
    assert result.returncode == 0, result.stderr
    assert not any("ELIZA_DEPLOY_SCRIPTS" in line or line.startswith("cp ") for line in command_lines(result.stdout))
    assert "Scripts" not in shown_parameters(result.stdout), "a new stack takes the template's default: none"


def test_help_names_the_script_options(tmp_path, fake_bin):
    result = deploy(clean_env(tmp_path, fake_bin), "--help")
    assert "--script PATH" in result.stdout and "--inline-scripts on|off" in result.stdout


def build_function(tmp_path, scripts):
    """`make build-ElizaFunction` as `sam build` runs it (ARTIFACTS_DIR set), with deploy.sh's folder of
    scripts: the real Makefile, the real static bootstrap and elizac (make lambda has built them)."""
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name, text in scripts.items():
        (folder / name).write_text(text)
    artifacts = tmp_path / "artifacts"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ELIZA_"))}
    result = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "build-ElizaFunction",
                             f"ARTIFACTS_DIR={artifacts}", f"ELIZA_DEPLOY_SCRIPTS={folder}"],
                            env=env, capture_output=True, text=True, timeout=1200)
    return result, artifacts


def test_the_build_ships_checked_scripts_next_to_bootstrap(tmp_path):
    catbot = "(HI)\n(CAT ((0 CAT 0) (MEOW)))\n(NONE ((0) (GO ON)))\n(MEMORY CAT (0 = A) (0 = B) (0 = C) (0 = D))\n"
    result, artifacts = build_function(tmp_path, {"catbot.eliza": catbot})
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.relative_to(artifacts).as_posix() for p in artifacts.rglob("*")) == [
        "bootstrap", "scripts", "scripts/catbot.eliza"]
    assert (artifacts / "scripts" / "catbot.eliza").read_text() == catbot
    assert (artifacts / "bootstrap").read_bytes() == (ROOT / ".build" / "lambda" / "bootstrap").read_bytes()


def test_the_build_refuses_a_script_with_errors(tmp_path):
    result, artifacts = build_function(tmp_path, {"bad.eliza": "(HI)\n(CAT ((0 CAT 0) (MEOW))\n"})
    assert result.returncode != 0
    assert f"{tmp_path}/scripts/bad.eliza:2:1: error: expected ')'" in result.stderr
    assert not (artifacts / "scripts").exists()


def test_the_authoring_guides_deploy_example_runs_dry(tmp_path, fake_bin):
    """docs/authoring.md, "Deploy it": its command, as printed, beside the guide's catbot.eliza."""
    guide = (ROOT / "docs" / "authoring.md").read_text()
    (script,) = re.findall(r"^```eliza catbot\.eliza\n(.*?)^```$", guide, re.M | re.S)
    (tmp_path / "catbot.eliza").write_text(script)
    section = guide.split("\n## Deploy it\n", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    argv = shlex.split(command)
    assert argv[0] == "./deploy.sh" and "--dry-run" in argv
    result = subprocess.run([DEPLOY, *argv[1:]], cwd=tmp_path, env=clean_env(tmp_path, fake_bin),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    copies = [shlex.split(line) for line in command_lines(result.stdout) if line.startswith("cp ")]
    assert [argv[2] for argv in copies] == [str(tmp_path / "catbot.eliza")]
    assert shown_parameters(result.stdout)["Scripts"] == "/var/task/scripts"


def test_the_readmes_deploy_line_runs_dry(tmp_path, fake_bin):
    """README, "Your own scripts": its deploy line, with --dry-run and a region, beside a mybot.eliza."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Your own scripts\n", 1)[1].split("\n## ", 1)[0]
    (line,) = [line.split("#", 1)[0] for line in section.splitlines() if line.startswith("./deploy.sh ")]
    (tmp_path / "mybot.eliza").write_text((ROOT / "Tests" / "Fixtures" / "catbot.eliza").read_text())
    argv = shlex.split(line)[1:] + ["--dry-run", "--region", "eu-west-1"]
    result = subprocess.run([DEPLOY, *argv], cwd=tmp_path, env=clean_env(tmp_path, fake_bin),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert shown_parameters(result.stdout)["Scripts"] == "/var/task/scripts"


# --- the REST API front door ----------------------------------------------------------------------------

WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/eliza/a1b2c3d4-5678-90ab-cdef-0123456789ab"


def test_front_door_rest_builds_the_rest_template_with_the_waf_and_a_spaceless_list(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--front-door", "rest", "--web-acl-arn", WEB_ACL,
                    "--allowed-cidrs", "203.0.113.0/24, 2001:db8::/32, 198.51.100.7,2001:db8::1")
    assert result.returncode == 0, result.stderr
    (build,) = [line for line in command_lines(result.stdout) if line.startswith("env LAMBDA_ARCH")]
    assert shlex.split(build)[-2:] == ["--template-file", "template-rest.yaml"]
    parameters = shown_parameters(result.stdout)
    # The resource policy splits the list on commas: no spaces reach it.
    assert parameters["AllowedCallerCIDR"] == "203.0.113.0/24,2001:db8::/32,198.51.100.7/32,2001:db8::1/128"
    assert re.fullmatch(load_template(ROOT / "template-rest.yaml")["Parameters"]["AllowedCallerCIDR"]["AllowedPattern"],
                        parameters["AllowedCallerCIDR"])
    assert parameters["WebAclArn"] == WEB_ACL
    assert set(parameters) <= set(load_template(ROOT / "template-rest.yaml")["Parameters"])
    assert "api_base: https://API_ID.execute-api.eu-west-1.amazonaws.com/prod/v1" in result.stdout


def test_front_door_rest_ships_scripts_and_sets_their_parameters_as_the_http_api_does(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    (tmp_path / "catbot.eliza").write_text("(HI)\n")
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--front-door", "rest", "--api-key", KEY,
                    "--script", str(tmp_path / "catbot.eliza"), "--inline-scripts", "off")
    assert result.returncode == 0, result.stderr
    lines = command_lines(result.stdout)
    (build,) = [line for line in lines if line.startswith("env LAMBDA_ARCH")]
    assert shlex.split(build)[-2:] == ["--template-file", "template-rest.yaml"]
    (folder,) = re.findall(r"ELIZA_DEPLOY_SCRIPTS=(\S+/scripts) ", build)
    assert ["cp", "--", str(tmp_path / "catbot.eliza"), folder + "/"] in [shlex.split(line) for line in lines
                                                                          if line.startswith("cp ")]
    parameters = shown_parameters(result.stdout)
    assert parameters["InlineScripts"] == "off" and parameters["Scripts"] == "/var/task/scripts"
    template = load_template(ROOT / "template-rest.yaml")
    assert set(parameters) <= set(template["Parameters"])
    assert parameters["Scripts"] in template["Parameters"]["Scripts"]["AllowedValues"]
    assert calls(env) == []


@pytest.mark.parametrize("front_door,template_file", [("http", "template.yaml"), ("rest", "template-rest.yaml")])
def test_simulation_sets_the_parameter_on_either_front_door(tmp_path, fake_bin, front_door, template_file):
    env = clean_env(tmp_path, fake_bin)
    for value in ("on", "off"):
        result = deploy(env, "--dry-run", "--region", "eu-west-1", "--front-door", front_door, "--api-key", KEY,
                        "--simulation", value)
        assert result.returncode == 0, result.stderr
        parameters = shown_parameters(result.stdout)
        assert parameters["Simulation"] == value
        assert value in load_template(ROOT / template_file)["Parameters"]["Simulation"]["AllowedValues"]
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--front-door", front_door, "--api-key", KEY)
    assert "Simulation" not in shown_parameters(result.stdout), "without the option the stack keeps its value"
    assert "--simulation on|off" in deploy(env, "--help").stdout
    assert calls(env) == []


def test_the_default_front_door_is_the_http_api(tmp_path, fake_bin):
    env = clean_env(tmp_path, fake_bin)
    result = deploy(env, "--dry-run", "--region", "eu-west-1", "--allowed-cidrs", "203.0.113.0/24")
    (build,) = [line for line in command_lines(result.stdout) if line.startswith("env LAMBDA_ARCH")]
    assert shlex.split(build)[-2:] == ["--template-file", "template.yaml"]
    assert "WebAclArn" not in shown_parameters(result.stdout)


def test_moving_a_stack_to_the_rest_front_door_keeps_its_list_without_spaces(tmp_path, fake_bin, monkeypatch):
    env = clean_env(tmp_path, fake_bin, FAKE_STACK=EXISTING_WITH_KEY_AND_LIST)
    result = deploy(env, "--region", "eu-west-1", "--front-door", "rest")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("sam build --template-file template-rest.yaml") for line in calls(env))
    overrides = sam_parameters(env, tmp_path, monkeypatch)
    assert overrides["AllowedCallerCIDR"] == "203.0.113.0/24,2001:db8::/32"
    from samcli.commands.deploy.deploy_context import DeployContext
    merged = DeployContext.merge_parameters(load_template(ROOT / "template-rest.yaml"), overrides)
    sent = {p["ParameterKey"]: "<previous>" if p.get("UsePreviousValue") else p["ParameterValue"] for p in merged}
    assert sent["ApiKey"] == "<previous>" and sent["WebAclArn"] == "<previous>"


def documented_deploys():
    """The ./deploy.sh command lines in docs/production.md's code blocks."""
    text = (ROOT / "docs" / "production.md").read_text()
    blocks = re.findall(r"^```\n(.*?)^```", text, re.M | re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("./deploy.sh ")]


def test_the_documented_deploys_run(tmp_path, fake_bin):
    commands = documented_deploys()
    assert len(commands) == 3
    for command in commands:
        env = clean_env(tmp_path, fake_bin, ELIZA_API_KEY=KEY)
        result = deploy(env, "--dry-run", *shlex.split(command.replace('"$ELIZA_API_KEY"', KEY))[1:])
        assert result.returncode == 0, (command, result.stderr)
        rest = "--front-door rest" in command
        (build,) = [line for line in command_lines(result.stdout) if line.startswith("env LAMBDA_ARCH")]
        assert build.endswith("template-rest.yaml" if rest else "template.yaml"), command
