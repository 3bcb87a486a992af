"""Checks on template.yaml that a reviewer would make and that cfn-lint does not: least privilege,
log retention, outputs, the function's runtime settings, parameter patterns. Also runs cfn-lint,
`sam validate --lint` (when sam is installed) and SAM's own transform (when samtranslator is)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, load_template, offline_sam_env

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
FUNCTION = RESOURCES["ElizaFunction"]["Properties"]

VALID_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                        2192, 2557, 2922, 3288, 3653}
# The one wildcard allowed in a resource: ":*" after a log group ARN, meaning that group's log streams
# (CreateLogStream and PutLogEvents act on log-stream ARNs).
LOG_STREAMS_OF_GROUP = re.compile(r"^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}"
                                  r":log-group:\$\{LogGroupName\}:\*$")


def resources_of_type(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def policy_statements(node):
    """Every IAM statement anywhere in the template (role policies, trust policies, inline ones)."""
    if isinstance(node, dict):
        if "Statement" in node:
            statements = node["Statement"]
            yield from statements if isinstance(statements, list) else [statements]
        for value in node.values():
            yield from policy_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from policy_statements(value)


def as_list(value):
    return value if isinstance(value, list) else [value]


def strings_in(node):
    """The literal strings of a resource value, with !Sub templates as their template text."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::Sub":
                yield from strings_in(value[0] if isinstance(value, list) else value)
            elif key not in ("Ref", "Fn::GetAtt"):
                yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


# --- IAM ---------------------------------------------------------------------------------------------

def test_no_iam_statement_has_a_wildcard_action_or_resource():
    statements = list(policy_statements(TEMPLATE))
    assert statements, "no IAM statements found"
    for statement in statements:
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action, f"wildcard action {action!r}"
        for resource in as_list(statement.get("Resource", [])):
            for text in strings_in(resource):
                text = text if not LOG_STREAMS_OF_GROUP.match(text) else text[: -len(":*")]
                assert "*" not in text, f"wildcard resource {text!r}"


def test_execution_role_only_writes_the_functions_own_log_group():
    assert FUNCTION["Role"] == {"Fn::GetAtt": ["ElizaFunctionRole", "Arn"]}
    assert "Policies" not in FUNCTION, "SAM policy templates would add a second role's permissions"
    role = RESOURCES["ElizaFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                     "Action": "sts:AssumeRole"}
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    (resource,) = as_list(statement["Resource"])
    assert LOG_STREAMS_OF_GROUP.match(resource["Fn::Sub"]), resource
    # The ARN names the same group the function logs to.
    assert RESOURCES["FunctionLogGroup"]["Properties"]["LogGroupName"] == {"Ref": "LogGroupName"}
    assert len(resources_of_type(TEMPLATE, "AWS::IAM::Role")) == 1
    assert not resources_of_type(TEMPLATE, "AWS::IAM::Policy")
    assert not resources_of_type(TEMPLATE, "AWS::IAM::ManagedPolicy")


# --- logs --------------------------------------------------------------------------------------------

def test_every_log_group_has_retention():
    groups = resources_of_type(TEMPLATE, "AWS::Logs::LogGroup")
    assert set(groups) == {"FunctionLogGroup", "AccessLogGroup"}
    for name, group in groups.items():
        assert group["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"}, name


def test_retention_parameter_allows_exactly_the_cloudwatch_values():
    parameter = PARAMETERS["LogRetentionDays"]
    assert {int(v) for v in parameter["AllowedValues"]} == VALID_RETENTION_DAYS
    assert int(parameter["Default"]) == 14


def test_function_logs_json_to_its_own_group():
    logging = FUNCTION["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    assert logging["LogGroup"] == {"Ref": "FunctionLogGroup"}
    assert logging["ApplicationLogLevel"] == {"Ref": "ApplicationLogLevel"}
    assert PARAMETERS["ApplicationLogLevel"]["Default"] == "INFO"
    assert logging["SystemLogLevel"] in ("DEBUG", "INFO", "WARN")


def test_access_log_format_is_json_with_the_useful_fields():
    api = RESOURCES["ElizaHttpApi"]["Properties"]
    settings = api["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}
    fields = json.loads(settings["Format"])
    for variable in ("$context.requestId", "$context.identity.sourceIp", "$context.routeKey",
                     "$context.status", "$context.integrationErrorMessage", "$context.requestTime",
                     "$context.protocol", "$context.responseLength", "$context.integrationLatency"):
        assert variable in fields.values(), variable


# --- function and API --------------------------------------------------------------------------------

def test_function_runtime_settings():
    assert RESOURCES["ElizaFunction"]["Type"] == "AWS::Serverless::Function"
    assert RESOURCES["ElizaFunction"]["Metadata"] == {"BuildMethod": "makefile"}
    assert FUNCTION["Runtime"] == "provided.al2023"
    assert FUNCTION["Handler"] == "bootstrap"
    assert FUNCTION["MemorySize"] == 128
    assert isinstance(FUNCTION["Timeout"], int) and 0 < FUNCTION["Timeout"] < 30
    assert FUNCTION["Architectures"] == [{"Ref": "Architecture"}]
    assert PARAMETERS["Architecture"]["AllowedValues"] == ["x86_64", "arm64"]
    assert PARAMETERS["Architecture"]["Default"] == "x86_64"


def test_function_environment_maps_the_parameters():
    variables = FUNCTION["Environment"]["Variables"]
    assert set(variables) == {"ALLOWED_CALLER_CIDRS", "ELIZA_API_KEY", "ELIZA_ALLOW_DIRECT_INVOCATION",
                              "ELIZA_INLINE_SCRIPTS", "ELIZA_SCRIPTS", "ELIZA_METRICS_NAMESPACE",
                              "ELIZA_SIMULATION", "ELIZA_SIMULATION_MAX_DELAY_MS"}
    assert variables["ALLOWED_CALLER_CIDRS"] == {
        "Fn::If": ["HasAllowedCallers", {"Ref": "AllowedCallerCIDR"}, {"Ref": "AWS::NoValue"}]}
    assert variables["ELIZA_API_KEY"] == {
        "Fn::If": ["HasApiKey", {"Ref": "ApiKey"}, {"Ref": "AWS::NoValue"}]}
    assert variables["ELIZA_ALLOW_DIRECT_INVOCATION"] == {"Ref": "AllowDirectInvocation"}


@pytest.mark.parametrize("parameters,inline,scripts", [
    ({}, "on", None),
    ({"InlineScripts": "off"}, "off", None),
    ({"Scripts": "/var/task/scripts"}, "on", "/var/task/scripts"),
])
def test_authors_scripts_parameters(parameters, inline, scripts):
    """InlineScripts (default on: a request's script is compiled within its own budget) and Scripts
    (set by deploy.sh --script to where the package holds them; unset otherwise)."""
    variables = FUNCTION["Environment"]["Variables"]
    assert PARAMETERS["InlineScripts"]["AllowedValues"] == ["on", "off"]  # exactly what the function reads
    assert PARAMETERS["Scripts"]["AllowedValues"] == ["", "/var/task/scripts"]
    assert resolve(variables["ELIZA_INLINE_SCRIPTS"], parameters) == inline
    assert resolve(variables["ELIZA_SCRIPTS"], parameters) == scripts


def test_simulation_is_off_unless_the_parameter_says_on():
    parameter = PARAMETERS["Simulation"]
    # Exactly the values the function accepts (anything else would be an init error).
    assert parameter["Type"] == "String" and parameter["AllowedValues"] == ["off", "on"]
    assert parameter["Default"] == "off"
    variables = FUNCTION["Environment"]["Variables"]
    assert variables["ELIZA_SIMULATION"] == {"Ref": "Simulation"}
    # Every simulated wait ends before the function's timeout.
    assert int(variables["ELIZA_SIMULATION_MAX_DELAY_MS"]) < FUNCTION["Timeout"] * 1000


def test_direct_invocation_is_off_unless_the_parameter_says_true():
    parameter = PARAMETERS["AllowDirectInvocation"]
    # Exactly the values the function accepts (anything else would be an init error).
    assert parameter["Type"] == "String" and parameter["AllowedValues"] == ["false", "true"]
    assert parameter["Default"] == "false"
    assert "allow-list" in parameter["Description"] and "API key" in parameter["Description"]


def resolve(node, parameters: dict):
    """The value of a template fragment for these parameter values (Ref, Fn::If, Fn::Equals, Fn::Not
    and the template's Conditions); None for AWS::NoValue."""
    if isinstance(node, dict) and len(node) == 1:
        (key, value), = node.items()
        if key == "Ref":
            return None if value == "AWS::NoValue" else str(parameters.get(value, PARAMETERS[value].get("Default")))
        if key == "Fn::If":
            condition, then, otherwise = value
            return resolve(then if resolve(TEMPLATE["Conditions"][condition], parameters) else otherwise, parameters)
        if key == "Fn::Equals":
            return str(resolve(value[0], parameters)) == str(resolve(value[1], parameters))
        if key == "Fn::Not":
            return not resolve(value[0], parameters)
    return node


@pytest.mark.parametrize("value,reserved", [(None, "10"), (10, "10"), (1, "1"), (0, "0"), (-1, None)])
def test_reserved_concurrency_caps_the_function(value, reserved):
    """Default 10; 0 is Lambda's "stopped" (every invocation throttled); -1 leaves the property out
    (the account's unreserved pool), for accounts that cannot reserve any."""
    parameter = PARAMETERS["ReservedConcurrency"]
    assert parameter["Type"] == "Number" and parameter["Default"] == 10 and parameter["MinValue"] == -1
    assert "cost" in parameter["Description"] and "blast radius" in parameter["Description"]
    parameters = {} if value is None else {"ReservedConcurrency": value}
    assert resolve(FUNCTION["ReservedConcurrentExecutions"], parameters) == reserved


def test_http_api_event_and_throttling():
    (event,) = FUNCTION["Events"].values()
    assert event["Type"] == "HttpApi"
    properties = event["Properties"]
    assert properties["ApiId"] == {"Ref": "ElizaHttpApi"}
    assert properties["PayloadFormatVersion"] == "2.0"
    assert (properties["Path"], properties["Method"]) == ("$default", "ANY")
    assert properties.get("TimeoutInMillis", 30000) > FUNCTION["Timeout"] * 1000
    api = RESOURCES["ElizaHttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert api["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }
    assert "StageName" not in api["Properties"], "the $default stage keeps the stage out of the URL"


# --- parameters --------------------------------------------------------------------------------------

def test_api_key_is_no_echo_with_an_empty_default():
    assert PARAMETERS["ApiKey"]["NoEcho"] is True
    assert PARAMETERS["ApiKey"]["Default"] == ""


def test_log_group_name_pattern():
    parameter = PARAMETERS["LogGroupName"]
    assert parameter["AllowedPattern"] == r"^[\.\-_/#A-Za-z0-9]{1,512}$"
    assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"])


@pytest.mark.parametrize("value", [
    "", "203.0.113.0/24", "203.0.113.0/24,2001:db8::/32", "198.51.100.7", "::1",
    "203.0.113.0/24, 198.51.100.7", "2001:db8:0:0:0:0:0:1/128", "0.0.0.0/0,::/0",
])
def test_allowed_caller_cidr_pattern_accepts(value):
    assert re.fullmatch(PARAMETERS["AllowedCallerCIDR"]["AllowedPattern"], value)


@pytest.mark.parametrize("value", [
    "hello", "1.2.3.4/", ";rm -rf", "1.2.3.4;rm -rf /", "1.2.3", "203.0.113.0/24,", ",203.0.113.0/24",
    "2001:db8::/", "$(id)", "1.2.3.4/24/8",
])
def test_allowed_caller_cidr_pattern_rejects(value):
    assert not re.fullmatch(PARAMETERS["AllowedCallerCIDR"]["AllowedPattern"], value)


def test_allowed_caller_cidr_parameter_documents_its_constraint():
    parameter = PARAMETERS["AllowedCallerCIDR"]
    assert parameter["Default"] == ""
    assert parameter["ConstraintDescription"].strip()


@pytest.mark.parametrize("value,ok", [
    ("", True), ("sk-eliza_0123456789", True), ("abc/def+ghi~.-==", True),
    ("has space", False), ('quote"', False), ("back\\slash", False), ("=start", False),
])
def test_api_key_pattern(value, ok):
    assert bool(re.fullmatch(PARAMETERS["ApiKey"]["AllowedPattern"], value)) is ok


# --- outputs -----------------------------------------------------------------------------------------

def test_outputs():
    outputs = TEMPLATE["Outputs"]
    base = outputs["ApiBaseUrl"]["Value"]["Fn::Sub"]
    assert base.startswith("https://${ElizaHttpApi}.execute-api.${AWS::Region}.")
    assert base.endswith("/v1")
    assert outputs["FunctionName"]["Value"] == {"Ref": "ElizaFunction"}
    assert outputs["FunctionLogGroupName"]["Value"] == {"Ref": "FunctionLogGroup"}
    assert outputs["AccessLogGroupName"]["Value"] == {"Ref": "AccessLogGroup"}


@pytest.mark.parametrize("parameters,key_required,callers", [
    ({}, "false", "everyone"),
    ({"ApiKey": "sk-1"}, "true", "everyone"),
    ({"AllowedCallerCIDR": "203.0.113.0/24"}, "false", "203.0.113.0/24"),
])
def test_access_outputs_say_whether_the_stack_is_open_without_the_key(parameters, key_required, callers):
    """deploy.sh reads these to warn about an open stack; the key itself is never an output."""
    outputs = TEMPLATE["Outputs"]
    assert resolve(outputs["ApiKeyRequired"]["Value"], parameters) == key_required
    assert resolve(outputs["AllowedCallers"]["Value"], parameters) == callers
    assert json.dumps({"Ref": "ApiKey"}) not in json.dumps(outputs)
    assert "${ApiKey}" not in json.dumps(outputs)


# --- tools -------------------------------------------------------------------------------------------

def find_tool(name: str):
    """On PATH, or beside the running Python (a venv's bin/ that is not on PATH)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)


# Both front doors: the HTTP API (template.yaml) and the REST API (template-rest.yaml).
TEMPLATE_FILES = ["template.yaml", "template-rest.yaml"]


@pytest.mark.parametrize("template_file", TEMPLATE_FILES)
def test_cfn_lint_is_clean(template_file):
    cfn_lint = find_tool("cfn-lint")
    if cfn_lint is None:
        pytest.skip("cfn-lint is not installed (pip install cfn-lint)")
    result = subprocess.run([cfn_lint, template_file], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("template_file", TEMPLATE_FILES)
def test_sam_validate_lint_is_clean(tmp_path, template_file):
    sam = find_tool("sam")
    if sam is None:
        pytest.skip("sam is not installed (pip install aws-sam-cli)")
    env = dict(os.environ, HOME=str(tmp_path), **offline_sam_env(tmp_path))
    result = subprocess.run([sam, "validate", "--lint", "--region", "us-east-1", "--template-file", template_file],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_transform_scopes_the_invoke_permission_to_this_api():
    """The transformed template: one Lambda permission, for API Gateway, SourceArn on this API only;
    no role generated by SAM besides ours."""
    samtranslator = pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed")
    boto3 = pytest.importorskip("boto3")
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((ROOT / "template.yaml").read_text())
    template["Resources"]["ElizaFunction"]["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    output = translator.translate(template, {})
    assert samtranslator  # imported for the skip above

    resources = output["Resources"]
    permissions = resources_of_type(output, "AWS::Lambda::Permission")
    assert len(permissions) == 1
    (permission,) = permissions.values()
    properties = permission["Properties"]
    assert properties["Principal"] == "apigateway.amazonaws.com"
    assert properties["Action"] == "lambda:InvokeFunction"
    arn_template, variables = properties["SourceArn"]["Fn::Sub"]
    assert arn_template.startswith("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/")
    assert variables["__ApiId__"] == {"Ref": "ElizaHttpApi"}

    assert list(resources_of_type(output, "AWS::IAM::Role")) == ["ElizaFunctionRole"]
    assert resources["ElizaFunction"]["Properties"]["Role"] == {"Fn::GetAtt": ["ElizaFunctionRole", "Arn"]}
    for statement in policy_statements(output):
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action

    # SAM passes the reserved concurrency through to the Lambda function unchanged.
    assert resources["ElizaFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}

    routes = output["Resources"]["ElizaHttpApi"]["Properties"]["Body"]["paths"]
    integration = routes["/$default"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
    assert integration["payloadFormatVersion"] == "2.0"
    (stage,) = resources_of_type(output, "AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["StageName"] == "$default"
    assert "DefaultRouteSettings" in stage["Properties"] and "AccessLogSettings" in stage["Properties"]
