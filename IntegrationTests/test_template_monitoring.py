"""Metrics and monitoring in both templates (template.yaml, template-rest.yaml): the EMF namespace
parameter reaching the function, the optional alarms, saved Logs Insights queries and dashboard, the
queries in docs/production.md exactly as the stack saves them, and the execution role unchanged:
metrics from log lines need no IAM permission."""

import json
import re

import pytest

from conftest import ROOT, load_template
from test_template import policy_statements, resources_of_type

TEMPLATES = {"template.yaml": load_template(), "template-rest.yaml": load_template(ROOT / "template-rest.yaml")}
DOC = (ROOT / "docs" / "production.md").read_text()

# The role as it was before metrics existed: writing its own log group's streams, nothing more.
ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]},
        "Policies": [{
            "PolicyName": "write-own-log-group",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                        ":log-group:${LogGroupName}:*"}}]}}],
    },
}
MONITORING = {"ServerErrorsAlarm", "ThrottlesAlarm", "DeniedCallersAlarm", "DeniedCallersQuery",
              "LatencyByRouteQuery", "RequestsByCallerQuery", "MonitoringDashboard"}


@pytest.fixture(params=sorted(TEMPLATES))
def template(request):
    return TEMPLATES[request.param]


def test_the_execution_role_is_unchanged_and_the_only_iam(template):
    assert template["Resources"]["ElizaFunctionRole"] == ROLE
    assert list(resources_of_type(template, "AWS::IAM::Role")) == ["ElizaFunctionRole"]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Logs::ResourcePolicy"):
        assert not resources_of_type(template, kind), kind
    function = template["Resources"]["ElizaFunction"]["Properties"]
    assert "Policies" not in function and function["Role"] == {"Fn::GetAtt": ["ElizaFunctionRole", "Arn"]}
    for name in MONITORING:
        assert list(policy_statements(template["Resources"][name])) == [], name


def test_the_namespace_reaches_the_function_only_when_set(template):
    variables = template["Resources"]["ElizaFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ELIZA_METRICS_NAMESPACE"] == {
        "Fn::If": ["HasMetrics", {"Ref": "MetricsNamespace"}, {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"]["HasMetrics"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "MetricsNamespace"}, ""]}]}
    assert template["Parameters"]["MetricsNamespace"]["Default"] == "ElizaLambda"


@pytest.mark.parametrize("value,ok", [
    ("", True), ("ElizaLambda", True), ("Eliza/Prod #2:x", True), ("AWS/Lambda", False), (" lead", False),
    ("quote\"", False), ("n" * 256, False),
])
def test_the_namespace_pattern_matches_what_the_function_accepts(value, ok):
    pattern = TEMPLATES["template.yaml"]["Parameters"]["MetricsNamespace"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is ok


def test_monitoring_is_off_by_default_and_needs_the_metrics(template):
    assert template["Parameters"]["Monitoring"]["Default"] == "false"
    assert template["Conditions"]["CreateMonitoring"] == {
        "Fn::And": [{"Fn::Equals": [{"Ref": "Monitoring"}, "true"]}, {"Condition": "HasMetrics"}]}
    for name in MONITORING:
        assert template["Resources"][name]["Condition"] == "CreateMonitoring", name


def test_three_alarms_on_server_errors_throttles_and_denied_callers(template):
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {"ServerErrorsAlarm", "ThrottlesAlarm", "DeniedCallersAlarm"}
    for name, metric in (("ServerErrorsAlarm", "ServerErrors"), ("DeniedCallersAlarm", "DeniedCallers")):
        (query,) = alarms[name]["Properties"]["Metrics"]
        # The EMF series carry route and model dimensions: the alarm sums them all.
        assert query["Expression"] == {"Fn::Sub": f'SELECT SUM({metric}) FROM "${{MetricsNamespace}}"'}
        assert query["ReturnData"] is True and query["Period"] == 300
    throttles = alarms["ThrottlesAlarm"]["Properties"]
    assert (throttles["Namespace"], throttles["MetricName"]) == ("AWS/Lambda", "Throttles")
    assert throttles["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ElizaFunction"}}]
    for alarm in alarms.values():
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
        assert alarm["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def doc_queries() -> dict:
    """The saved queries as docs/production.md shows them: a `#### name` heading, then a code block."""
    return {name: body.strip() for name, body in
            re.findall(r"^#### (.+?)\n\n```\n(.*?)```", DOC, re.M | re.S)}


def test_the_saved_queries_are_the_ones_the_docs_show(template):
    queries = resources_of_type(template, "AWS::Logs::QueryDefinition")
    saved = {query["Properties"]["Name"]["Fn::Sub"].split("/", 1)[1]: query["Properties"]["QueryString"]
             for query in queries.values()}
    assert set(saved) == {"denied callers by IP", "latency percentiles by route", "requests by caller IP"}
    assert doc_queries() == saved
    groups = {query["Properties"]["Name"]["Fn::Sub"].split("/", 1)[1]: query["Properties"]["LogGroupNames"]
              for query in queries.values()}
    assert groups["requests by caller IP"] == [{"Ref": "AccessLogGroup"}]
    assert groups["latency percentiles by route"] == [{"Ref": "FunctionLogGroup"}]
    # The fields they read are the ones the function and the stage write.
    assert "callerIp" in saved["denied callers by IP"] and "durationMs" in saved["latency percentiles by route"]


def test_the_dashboard_body_is_json_with_four_widgets(template):
    body_template, variables = template["Resources"]["MonitoringDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert variables == {"Namespace": {"Ref": "MetricsNamespace"}}
    names = set(re.findall(r"\$\{([^}]+)\}", body_template))
    assert names == {"AWS::Region", "Namespace", "ElizaFunction", "FunctionLogGroup"}
    body = json.loads(re.sub(r"\$\{([^}]+)\}", "X", body_template))
    assert [widget["type"] for widget in body["widgets"]] == ["metric", "metric", "metric", "log"]
