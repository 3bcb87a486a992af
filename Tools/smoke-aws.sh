#!/usr/bin/env bash
# Smoke test in a real AWS account: deploys a throwaway stack eliza-smoke-<timestamp>, calls it the way
# clients do (curl, LiteLLM), checks the function's JSON logs, and deletes the stack again, also on
# failure or Ctrl-C. Needs AWS credentials, the SAM CLI and AWS CLI v2. Costs a few cents at most.
set -euo pipefail

usage() {
  cat <<'EOF'
Deploy a throwaway eliza-lambda stack, exercise it, delete it.

usage: Tools/smoke-aws.sh [options]

  --region REGION   AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)
  --api-key KEY     deploy with this API key (default: a generated one); a wrong key must get 401
  --my-ip           allow only this machine's public IPv4 address (looked up at checkip.amazonaws.com)
  --dry-run         print the commands it would run, in order, and run none of them
  -h, --help        show this help

The key reaches deploy.sh in its environment and curl in a header file, never a command line.
The LiteLLM step uses $SMOKE_PYTHON (default python3) and is skipped if it cannot import litellm.
Exit status: 0 all steps passed, 1 a step failed, 2 missing credentials or tools, 64 usage error.
EOF
}

usage_error() {
  echo "error: $1" >&2
  echo "see 'Tools/smoke-aws.sh --help'" >&2
  exit 64
}

region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
api_key=""
my_ip=0
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dry-run) dry_run=1; shift ;;
    --my-ip) my_ip=1; shift ;;
    --region | --api-key)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      if [ "$1" = --region ]; then region="$2"; else api_key="$2"; fi
      shift 2 ;;
    --region=*) region="${1#*=}"; shift ;;
    --api-key=*) api_key="${1#*=}"; shift ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
[ -n "$region" ] || usage_error "no region: pass --region or set AWS_REGION"

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=Tools/lib/commands.sh
. Tools/lib/commands.sh
# The stack is never open: without --api-key, a key of its own.
[ -n "$api_key" ] || api_key="$(random_key)"
secret="$api_key"

refuse() {
  echo "smoke-aws: $1; nothing was created." >&2
  exit 2
}

# Preflight. In a dry run the checks are only shown: it must work on a machine without AWS access.
if [ "$dry_run" -eq 1 ]; then
  show aws sts get-caller-identity
else
  command -v sam >/dev/null 2>&1 || refuse "needs the AWS SAM CLI ('sam' is not on PATH; pip install aws-sam-cli)"
  command -v aws >/dev/null 2>&1 || refuse "needs the AWS CLI v2 ('aws' is not on PATH)"
  aws sts get-caller-identity >/dev/null 2>&1 ||
    refuse "needs AWS credentials ('aws sts get-caller-identity' failed)"
  [[ "$(aws --version 2>&1)" == aws-cli/2* ]] || refuse "needs AWS CLI v2 (for 'aws logs tail')"
  command -v curl >/dev/null 2>&1 || refuse "needs curl"
  command -v python3 >/dev/null 2>&1 || refuse "needs python3"
fi

stack="eliza-smoke-$(date -u +%Y%m%d%H%M%S)"
log_group="/aws/lambda/$stack"
allowed_cidrs=""
if [ "$my_ip" -eq 1 ]; then
  show curl -fsS --max-time 10 https://checkip.amazonaws.com
  if [ "$dry_run" -eq 1 ]; then
    allowed_cidrs="MY_PUBLIC_IP/32"
  else
    ip="$(curl -fsS --max-time 10 https://checkip.amazonaws.com | tr -d '[:space:]')" ||
      refuse "could not look up this machine's public IP"
    [[ "$ip" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || refuse "checkip returned '$ip', not an IPv4 address"
    allowed_cidrs="$ip/32"
  fi
fi

# Teardown: from the moment the deploy starts, the stack is deleted however the script ends.
deploy_started=0
work="$(mktemp -d)"
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  rm -rf "$work"
  if [ "$deploy_started" -eq 1 ]; then
    echo "smoke-aws: deleting stack $stack"
    if run sam delete --stack-name "$stack" --region "$region" --no-prompts; then
      if [ "$dry_run" -eq 1 ]; then
        echo "smoke-aws: dry run, no stack to delete"
      else
        echo "smoke-aws: deleted stack $stack"
      fi
    elif run aws cloudformation delete-stack --stack-name "$stack" --region "$region" &&
      run aws cloudformation wait stack-delete-complete --stack-name "$stack" --region "$region"; then
      echo "smoke-aws: deleted stack $stack"
    else
      echo "smoke-aws: FAILED to delete stack $stack; delete it by hand:" \
        "aws cloudformation delete-stack --stack-name $stack --region $region" >&2
      [ "$status" -ne 0 ] || status=1
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "smoke-aws: deploying stack $stack in $region (allowed callers: ${allowed_cidrs:-everyone})"
deploy_started=1
deploy_cmd=(./deploy.sh --stack-name "$stack" --region "$region" --allowed-cidrs "$allowed_cidrs"
  --log-group-name "$log_group")
if [ "$dry_run" -eq 1 ]; then
  show "${deploy_cmd[@]}"
  # The commands deploy.sh would run, without its placeholder summary.
  ELIZA_API_KEY="$api_key" "${deploy_cmd[@]}" --dry-run | grep -E '^(\+ |  parameters in that file: )'
elif ! ELIZA_API_KEY="$api_key" "${deploy_cmd[@]}"; then
  echo "FAIL deploy"
  exit 1
fi

api_base="https://API_ID.execute-api.$region.amazonaws.com/v1"
outputs_cmd=(aws cloudformation describe-stacks --stack-name "$stack" --region "$region"
  --query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text)
show "${outputs_cmd[@]}"
if [ "$dry_run" -eq 0 ]; then
  outputs="$("${outputs_cmd[@]}")" || { echo "FAIL outputs"; exit 1; }
  api_base="$(awk -F '\t' '$1 == "ApiBaseUrl" { print $2 }' <<<"$outputs")"
  log_group="$(awk -F '\t' '$1 == "FunctionLogGroupName" { print $2 }' <<<"$outputs")"
  [[ "$api_base" == http*://*/v1 && -n "$log_group" ]] || { echo "FAIL outputs: $outputs"; exit 1; }
fi
echo "smoke-aws: ApiBaseUrl $api_base"

bearer="$api_key"
# curl reads the header from this file (private: mktemp -d is 0700), not from its command line.
printf 'Authorization: Bearer %s\n' "$bearer" >"$work/authorization"

passed=0 failed=0 skipped=0
# check NAME FUNCTION: runs one step and reports it; a dry run only shows the step's commands.
check() {
  if [ "$dry_run" -eq 1 ]; then "$2"; return; fi
  if "$2"; then echo "PASS $1"; passed=$((passed + 1)); else echo "FAIL $1"; failed=$((failed + 1)); fi
}
skip() {
  echo "SKIP $1: $2"
  skipped=$((skipped + 1))
}

# post_chat BODY: POSTs a chat completion; leaves the body in $work/body and prints the status.
post_chat() {
  run curl -sS --max-time 30 -o "$work/body" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H "@$work/authorization" \
    --data "$1" "$api_base/chat/completions"
}

step_chat() {
  local status
  status="$(post_chat '{"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}]}')" ||
    return 1
  [ "$dry_run" -eq 0 ] || return 0
  [ "$status" = 200 ] || { echo "  status $status: $(head -c 300 "$work/body")"; return 1; }
  python3 -c '
import json, sys
content = json.load(open(sys.argv[1]))["choices"][0]["message"]["content"]
assert isinstance(content, str) and content, "empty content"
print("  ELIZA:", content)' "$work/body"
}

step_stream() {
  local status
  status="$(post_chat '{"model":"eliza","stream":true,"messages":[{"role":"user","content":"They are always bugging us."}]}')" ||
    return 1
  [ "$dry_run" -eq 0 ] || return 0
  [ "$status" = 200 ] || { echo "  status $status: $(head -c 300 "$work/body")"; return 1; }
  grep -q '^data: \[DONE\]' "$work/body" || { echo "  no 'data: [DONE]' in the stream"; return 1; }
}

step_models() {
  local status
  status="$(run curl -sS --max-time 30 -o "$work/body" -w '%{http_code}' \
    -H "@$work/authorization" "$api_base/models")" || return 1
  [ "$dry_run" -eq 0 ] || return 0
  [ "$status" = 200 ] || { echo "  status $status: $(head -c 300 "$work/body")"; return 1; }
  python3 -c '
import json, sys
ids = [m["id"] for m in json.load(open(sys.argv[1]))["data"]]
assert "eliza" in ids, ids' "$work/body"
}

step_wrong_key() {
  local status
  status="$(run curl -sS --max-time 30 -o "$work/body" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer wrong-key' \
    --data '{"model":"eliza","messages":[{"role":"user","content":"Hello"}]}' \
    "$api_base/chat/completions")" || return 1
  [ "$dry_run" -eq 0 ] || return 0
  [ "$status" = 401 ] || { echo "  expected 401, got $status"; return 1; }
}

litellm_python="${SMOKE_PYTHON:-python3}"
litellm_program='
import os, litellm
reply = litellm.completion(
    model="openai/eliza", api_base=os.environ["SMOKE_API_BASE"], api_key=os.environ["SMOKE_API_KEY"],
    messages=[{"role": "user", "content": "You are like my father in some ways."}])
content = reply.choices[0].message.content
assert isinstance(content, str) and content, "empty content"
print("  ELIZA via LiteLLM:", content)'
step_litellm() {
  SMOKE_API_BASE="$api_base" SMOKE_API_KEY="$bearer" run "$litellm_python" -c "$litellm_program"
}

step_logs() {
  local attempt
  # CloudWatch Logs delivery lags a few seconds behind the invocations.
  for attempt in 1 2 3 4 5 6; do
    run aws logs tail "$log_group" --since 10m --format short --region "$region" >"$work/logs" || return 1
    [ "$dry_run" -eq 0 ] || return 0
    if grep -q callerIp "$work/logs"; then break; fi
    [ "$attempt" -eq 6 ] || sleep 10
  done
  # Every line must be one JSON object after the timestamp; at least one must carry callerIp.
  python3 -c '
import json, sys
objects = []
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    _, _, message = line.rstrip("\n").partition(" ")
    try:
        objects.append(json.loads(message))
    except ValueError:
        sys.exit("  not a JSON log line: " + line[:200])
assert any("callerIp" in o for o in objects), "no log line has callerIp"
print("  %d JSON log lines" % len(objects))' "$work/logs"
}

check chat-completion step_chat
check chat-completion-stream step_stream
check models step_models
check wrong-key-401 step_wrong_key
if [ "$dry_run" -eq 1 ] || "$litellm_python" -c 'import litellm' >/dev/null 2>&1; then
  check litellm step_litellm
else
  skip litellm "$litellm_python cannot import litellm (pip install litellm in a venv, set SMOKE_PYTHON)"
fi
check logs step_logs

if [ "$dry_run" -eq 1 ]; then
  echo "smoke-aws: dry run, nothing was run"
  exit 0
fi
echo "smoke-aws: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
