"""template-rest.yaml, the REST API front door (deploy.sh --front-door rest): the allow-list in the API's
resource policy, the optional WAF association, response streaming (the 2021-11-15 streaming URI with
ResponseTransferMode STREAM), stage throttling and a JSON access log; and everything it shares with
template.yaml kept identical, so that the two front doors cannot drift apart. Offline: cfn-lint,
`sam validate --lint` and SAM's own transform."""

import copy
import json
import re

import pytest

from conftest import ROOT, load_template
from test_template import LOG_STREAMS_OF_GROUP, as_list, policy_statements, resources_of_type, strings_in

HTTP = load_template()
REST = load_template(ROOT / "template-rest.yaml")
FUNCTION = REST["Resources"]["ElizaFunction"]["Properties"]

# What the REST front door may change; everything else in the two templates must be equal.
REST_ONLY_PARAMETERS = {"WebAclArn", "FunctionTimeout"}
CHANGED_PARAMETERS = {"AllowedCallerCIDR", "ThrottlingBurstLimit", "ThrottlingRateLimit"}
REST_ONLY_RESOURCES = {"ElizaRestApi", "ElizaWebAclAssociation"}
HTTP_ONLY_RESOURCES = {"ElizaHttpApi"}
CHANGED_FUNCTION_PROPERTIES = {"Timeout", "Events", "Environment"}


def test_everything_shared_with_the_http_template_is_identical():
    """A parameter, resource or output added to one template must reach the other (or be listed above)."""
    assert set(REST["Parameters"]) - set(HTTP["Parameters"]) == REST_ONLY_PARAMETERS
    for name, parameter in HTTP["Parameters"].items():
        if name not in CHANGED_PARAMETERS:
            assert REST["Parameters"].get(name) == parameter, f"parameter {name} differs from template.yaml"
    for name, condition in HTTP["Conditions"].items():
        assert REST["Conditions"].get(name) == condition, f"condition {name} differs from template.yaml"
    assert set(REST["Resources"]) - set(HTTP["Resources"]) == REST_ONLY_RESOURCES
    assert set(HTTP["Resources"]) - set(REST["Resources"]) == HTTP_ONLY_RESOURCES
    for name, resource in HTTP["Resources"].items():
        if name in HTTP_ONLY_RESOURCES or name == "ElizaFunction":
            continue
        assert REST["Resources"][name] == resource, f"resource {name} differs from template.yaml"
    http_function = HTTP["Resources"]["ElizaFunction"]
    rest_function = REST["Resources"]["ElizaFunction"]
    assert {k: v for k, v in rest_function.items() if k != "Properties"} == \
        {k: v for k, v in http_function.items() if k != "Properties"}
    for name, value in http_function["Properties"].items():
        if name not in CHANGED_FUNCTION_PROPERTIES:
            assert FUNCTION.get(name) == value, f"function property {name} differs from template.yaml"
    assert set(FUNCTION) == set(http_function["Properties"])
    http_variables = http_function["Properties"]["Environment"]["Variables"]
    assert FUNCTION["Environment"]["Variables"] == {**http_variables, "ELIZA_RESPONSE_MODE": "streaming"}
    assert set(REST["Outputs"]) == set(HTTP["Outputs"])
    for name, output in HTTP["Outputs"].items():
        if name not in ("ApiBaseUrl", "AccessLogGroupName"):
            assert REST["Outputs"][name] == output, f"output {name} differs from template.yaml"


def test_the_execution_role_is_the_http_templates_least_privilege_role():
    assert REST["Resources"]["ElizaFunctionRole"] == HTTP["Resources"]["ElizaFunctionRole"]
    (policy,) = REST["Resources"]["ElizaFunctionRole"]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert sorted(as_list(statement["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert LOG_STREAMS_OF_GROUP.match(statement["Resource"]["Fn::Sub"])
    assert FUNCTION["Role"] == {"Fn::GetAtt": ["ElizaFunctionRole", "Arn"]} and "Policies" not in FUNCTION


def test_the_function_streams_and_may_run_longer():
    assert FUNCTION["Environment"]["Variables"]["ELIZA_RESPONSE_MODE"] == "streaming"
    assert FUNCTION["Timeout"] == {"Ref": "FunctionTimeout"}
    parameter = REST["Parameters"]["FunctionTimeout"]
    assert parameter["MinValue"] >= 3 and parameter["MaxValue"] == 900 and parameter["Default"] <= 900
    events = FUNCTION["Events"]
    assert {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()} == \
        {("/", "ANY"), ("/{proxy+}", "ANY")}
    for event in events.values():
        assert event["Type"] == "Api"
        assert event["Properties"]["RestApiId"] == {"Ref": "ElizaRestApi"}
        # SAM's literal; STREAM or an !If would silently give a buffered integration.
        assert event["Properties"]["ResponseTransferMode"] == "RESPONSE_STREAM"
        assert event["Properties"]["TimeoutInMillis"] >= parameter["MaxValue"] * 1000


def test_a_simulated_wait_ends_before_the_least_function_timeout():
    """The rule: ELIZA_SIMULATION_MAX_DELAY_MS (what one request may wait in all, delays and pacing) stays
    at least 2 s under the smallest FunctionTimeout the parameter allows, so a delayed answer or a paced
    stream ends before Lambda stops the function (docs/failures.md)."""
    variables = FUNCTION["Environment"]["Variables"]
    assert variables["ELIZA_SIMULATION"] == {"Ref": "Simulation"}
    assert REST["Parameters"]["Simulation"]["Default"] == "off"
    max_delay_ms = int(variables["ELIZA_SIMULATION_MAX_DELAY_MS"])
    assert max_delay_ms > 0
    assert max_delay_ms + 2000 <= REST["Parameters"]["FunctionTimeout"]["MinValue"] * 1000


def test_stage_throttling_and_json_access_log():
    api = REST["Resources"]["ElizaRestApi"]["Properties"]
    assert api["OpenApiVersion"].startswith("3.")
    (settings,) = api["MethodSettings"]
    assert settings == {"ResourcePath": "/*", "HttpMethod": "*",
                        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
                        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"}}
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}
    fields = json.loads(api["AccessLogSetting"]["Format"])
    http_fields = json.loads(HTTP["Resources"]["ElizaHttpApi"]["Properties"]["AccessLogSettings"]["Format"])
    assert set(http_fields) <= set(fields), "the same keys as the HTTP API's access log, for the same queries"
    for variable in ("$context.requestId", "$context.identity.sourceIp", "$context.status",
                     "$context.integrationErrorMessage", "$context.wafResponseCode"):
        assert variable in fields.values(), variable


@pytest.mark.parametrize("value,ok", [
    ("", True), ("203.0.113.0/24", True), ("203.0.113.0/24,2001:db8::/32", True), ("::1", True),
    ("203.0.113.0/24, 2001:db8::/32", False), (" 203.0.113.0/24", False), ("203.0.113.0/24,", False),
])
def test_the_allow_list_parameter_takes_no_spaces_since_the_policy_splits_it(value, ok):
    assert bool(re.fullmatch(REST["Parameters"]["AllowedCallerCIDR"]["AllowedPattern"], value)) is ok


@pytest.mark.parametrize("value,ok", [
    ("", True),
    ("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/eliza/a1b2c3d4-5678-90ab-cdef-0123456789ab", True),
    ("arn:aws:wafv2:us-east-1:123456789012:global/webacl/eliza/a1b2c3d4-5678-90ab-cdef-000000000000", False),
    ("not-an-arn", False),
])
def test_the_web_acl_parameter_takes_a_regional_acl_arn(value, ok):
    assert bool(re.fullmatch(REST["Parameters"]["WebAclArn"]["AllowedPattern"], value)) is ok


# --- SAM's transform (cfn-lint and `sam validate --lint` of this template: test_template.py) -------------

def translate(parameters: dict) -> dict:
    """SAM's transform of template-rest.yaml for these parameter values, as CloudFormation runs it."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed")
    boto3 = pytest.importorskip("boto3")
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((ROOT / "template-rest.yaml").read_text())
    template["Resources"]["ElizaFunction"]["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name="us-east-1"))
    return translator.translate(template, copy.deepcopy(parameters))


STREAMING_URI = ("arn:aws:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${ElizaFunction.Arn}"
                 "/response-streaming-invocations")


def test_every_method_uses_the_streaming_integration():
    output = translate({})
    body = output["Resources"]["ElizaRestApi"]["Properties"]["Body"]
    assert set(body["paths"]) == {"/", "/{proxy+}"}
    for path in body["paths"].values():
        integration = path["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST"
        assert integration["responseTransferMode"] == "STREAM"
        assert integration["uri"] == {"Fn::Sub": STREAMING_URI}
    stages = resources_of_type(output, "AWS::ApiGateway::Stage")
    (stage,) = stages.values()
    assert stage["Properties"]["StageName"] == "prod", "one stage only (no SAM `Stage` stage the WAF would miss)"
    assert stage["Properties"]["MethodSettings"][0]["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert "AccessLogSetting" in stage["Properties"]
    # Invoke permissions: API Gateway only, scoped to this API.
    permissions = resources_of_type(output, "AWS::Lambda::Permission")
    assert len(permissions) == 2
    for permission in permissions.values():
        properties = permission["Properties"]
        assert properties["Principal"] == "apigateway.amazonaws.com"
        assert properties["Action"] == "lambda:InvokeFunction"
        assert properties["SourceArn"]["Fn::Sub"][1]["__ApiId__"] == {"Ref": "ElizaRestApi"}
    assert list(resources_of_type(output, "AWS::IAM::Role")) == ["ElizaFunctionRole"]


def resource_policy(parameters: dict, allowed: bool) -> list:
    body = translate(parameters)["Resources"]["ElizaRestApi"]["Properties"]["Body"]
    statements = body["x-amazon-apigateway-policy"]["Statement"]
    resolved = []
    for statement in statements:
        if set(statement) == {"Fn::If"}:
            name, then, otherwise = statement["Fn::If"]
            assert name == "HasAllowedCallers"
            statement = then if allowed else otherwise
            if statement == {"Ref": "AWS::NoValue"}:
                continue
        resolved.append(statement)
    return resolved


def test_the_resource_policy_denies_every_caller_outside_the_allow_list():
    cidrs = "203.0.113.0/24,2001:db8::/32"
    allow, deny = resource_policy({"AllowedCallerCIDR": cidrs}, allowed=True)
    assert allow == {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                     "Resource": "execute-api:/*"}
    assert {k: v for k, v in deny.items() if k != "Condition"} == {
        "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    # CloudFormation evaluates the split after the transform: a flat list of the CIDRs.
    (source_ips,) = deny["Condition"]["NotIpAddress"].values()
    assert list(deny["Condition"]["NotIpAddress"]) == ["aws:SourceIp"]
    assert source_ips == {"Fn::Split": [",", cidrs]}
    assert source_ips["Fn::Split"][1].split(",") == ["203.0.113.0/24", "2001:db8::/32"]


def test_without_an_allow_list_the_policy_only_allows():
    assert resource_policy({}, allowed=False) == [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]


def test_gateway_refusals_are_error_objects_the_sdks_read():
    responses = translate({})["Resources"]["ElizaRestApi"]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    # The defaults keep API Gateway's own status (413, 502, 504, ...).
    assert {name: r.get("statusCode") for name, r in responses.items()} == {
        "ACCESS_DENIED": "403", "WAF_FILTERED": "403", "THROTTLED": "429", "DEFAULT_4XX": None, "DEFAULT_5XX": None}
    for name, response in responses.items():
        template = response["responseTemplates"]["application/json"]
        # $context.error.messageString is API Gateway's message already quoted as a JSON string.
        if name.startswith("DEFAULT_"):
            assert template.count("$context.error.messageString") == 1
        error = json.loads(template.replace("$context.error.messageString", '"Internal server error"'))["error"]
        assert error["message"] and error["type"] and error["code"]
    assert json.loads(responses["DEFAULT_5XX"]["responseTemplates"]["application/json"].replace(
        "$context.error.messageString", '"x"'))["error"]["type"] == "server_error"


def test_the_web_acl_is_associated_with_the_stage_only_when_given():
    output = translate({})
    association = output["Resources"]["ElizaWebAclAssociation"]
    assert association["Condition"] == "HasWebAcl"
    assert REST["Conditions"]["HasWebAcl"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebAclArn"}, ""]}]}
    assert association["Properties"]["WebACLArn"] == {"Ref": "WebAclArn"}
    (stage_name,) = resources_of_type(output, "AWS::ApiGateway::Stage")
    assert association["Properties"]["ResourceArn"] == {"Fn::Sub": (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ElizaRestApi}/stages/${" + stage_name + "}")}


def test_the_base_url_has_the_stage_then_v1():
    base = REST["Outputs"]["ApiBaseUrl"]["Value"]["Fn::Sub"]
    assert base == "https://${ElizaRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${ElizaRestApi.Stage}/v1"


def test_no_function_permission_has_a_wildcard():
    for statement in policy_statements(REST["Resources"]["ElizaFunctionRole"]):
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action
        for resource in as_list(statement.get("Resource", [])):
            for text in strings_in(resource):
                assert "*" not in (text[:-2] if LOG_STREAMS_OF_GROUP.match(text) else text)
