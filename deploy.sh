#!/usr/bin/env bash
# Builds and deploys eliza-lambda with the AWS SAM CLI, then prints the OpenAI base URL and ready-to-paste
# LiteLLM / OpenAI SDK configuration. Run ./deploy.sh --help for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Deploy eliza-lambda (ELIZA behind an OpenAI-compatible HTTP API) to AWS with SAM.

usage: ./deploy.sh [options]

  --stack-name NAME       CloudFormation stack (default: eliza-lambda)
  --region REGION         AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)
  --allowed-cidrs LIST    comma-separated IPv4/IPv6 CIDRs allowed to call the API
                          (default: empty = every caller)
  --api-key KEY           bearer key clients must send (default: $ELIZA_API_KEY; empty = no key)
  --architecture ARCH     x86_64 or arm64 (default: x86_64); `make lambda` builds for it
  --log-group-name NAME   the function's log group (default: /aws/lambda/<stack-name>)
  --dry-run               print the commands instead of running them
  -h, --help              show this help

Every parameter is passed on each deploy: omitting --api-key or --allowed-cidrs on an update
removes the key or the allow-list.
EOF
}

usage_error() {
  echo "error: $1" >&2
  echo "see './deploy.sh --help'" >&2
  exit 64
}

stack_name="eliza-lambda"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
allowed_cidrs=""
api_key="${ELIZA_API_KEY:-}"
architecture="x86_64"
log_group_name=""
dry_run=0

set_option() {
  case "$1" in
    --stack-name) stack_name="$2" ;;
    --region) region="$2" ;;
    --allowed-cidrs) allowed_cidrs="$2" ;;
    --api-key) api_key="$2" ;;
    --architecture) architecture="$2" ;;
    --log-group-name) log_group_name="$2" ;;
  esac
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dry-run) dry_run=1; shift ;;
    --stack-name | --region | --allowed-cidrs | --api-key | --architecture | --log-group-name)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      set_option "$1" "$2"; shift 2 ;;
    --stack-name=* | --region=* | --allowed-cidrs=* | --api-key=* | --architecture=* | --log-group-name=*)
      set_option "${1%%=*}" "${1#*=}"; shift ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

[ -n "$region" ] || usage_error "no region: pass --region or set AWS_REGION"
[[ "$stack_name" =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]] ||
  usage_error "--stack-name must start with a letter and hold only letters, digits and '-'"
case "$architecture" in x86_64 | arm64) ;; *) usage_error "--architecture must be x86_64 or arm64" ;; esac
# RFC 6750 b64token, the same pattern the template's ApiKey parameter enforces; it also makes the
# value safe inside sam's quoted Key="value" parameter syntax.
[[ -z "$api_key" || "$api_key" =~ ^[A-Za-z0-9._~+/-]+=*$ ]] ||
  usage_error "the API key may hold only letters, digits and . _ ~ + / - (then '=' padding)"
[[ "$allowed_cidrs" != *[\"\\]* ]] || usage_error "--allowed-cidrs holds a quote or backslash"
[ -n "$log_group_name" ] || log_group_name="/aws/lambda/$stack_name"

cd "$(dirname "$0")"

if [ "$dry_run" -eq 0 ]; then
  if ! command -v sam >/dev/null 2>&1; then
    cat >&2 <<'EOF'
error: the AWS SAM CLI ('sam') is not on PATH. Install it with 'pip install aws-sam-cli' (in a
virtualenv) or with the AWS installer from the SAM developer guide, then run ./deploy.sh again.
EOF
    exit 2
  fi
  if ! command -v aws >/dev/null 2>&1; then
    echo "error: the AWS CLI ('aws') is not on PATH; install AWS CLI v2, then run ./deploy.sh again." >&2
    exit 2
  fi
fi

secret="$api_key"
# shellcheck source=Tools/lib/commands.sh
. Tools/lib/commands.sh

# SAM's Key="value" form keeps an empty value (Key= alone is rejected) and commas inside one value.
parameter_overrides=(
  "AllowedCallerCIDR=\"$allowed_cidrs\""
  "ApiKey=\"$api_key\""
  "Architecture=\"$architecture\""
  "LogGroupName=\"$log_group_name\""
)

export SAM_CLI_TELEMETRY=0

# LAMBDA_ARCH tells the Makefile which architecture to build bootstrap for (a cross-build needs the
# Swift Static Linux SDK; see docs/deploy-notes.md).
run env LAMBDA_ARCH="$architecture" sam build --template-file template.yaml
run sam deploy \
  --template-file .aws-sam/build/template.yaml \
  --stack-name "$stack_name" \
  --region "$region" \
  --capabilities CAPABILITY_IAM \
  --resolve-s3 \
  --no-fail-on-empty-changeset \
  --no-confirm-changeset \
  --parameter-overrides "${parameter_overrides[@]}"

api_base_url="https://API_ID.execute-api.$region.amazonaws.com/v1"
function_name="FUNCTION_NAME"
function_log_group="$log_group_name"
access_log_group="ACCESS_LOG_GROUP"
outputs_cmd=(aws cloudformation describe-stacks --stack-name "$stack_name" --region "$region"
  --query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text)
show "${outputs_cmd[@]}"
if [ "$dry_run" -eq 0 ]; then
  outputs="$("${outputs_cmd[@]}")"
  while IFS=$'\t' read -r key value; do
    case "$key" in
      ApiBaseUrl) api_base_url="$value" ;;
      FunctionName) function_name="$value" ;;
      FunctionLogGroupName) function_log_group="$value" ;;
      AccessLogGroupName) access_log_group="$value" ;;
    esac
  done <<<"$outputs"
fi

key_note="any non-empty value: the stack has no API key"
[ -z "$api_key" ] || key_note="the key passed to --api-key"
if [ "$dry_run" -eq 1 ]; then
  echo
  echo "Dry run: nothing was built or deployed; the values below are placeholders."
fi
cat <<EOF

Stack $stack_name in $region:
  ApiBaseUrl:           $api_base_url
  FunctionName:         $function_name
  FunctionLogGroupName: $function_log_group
  AccessLogGroupName:   $access_log_group

Tail the logs:  aws logs tail $function_log_group --follow --region $region

LiteLLM proxy config.yaml (export ELIZA_API_KEY=<$key_note>):

model_list:
  - model_name: eliza
    litellm_params:
      model: openai/eliza
      api_base: $api_base_url
      api_key: os.environ/ELIZA_API_KEY

OpenAI Python SDK:

  import os
  from openai import OpenAI
  client = OpenAI(base_url="$api_base_url", api_key=os.environ["ELIZA_API_KEY"])
  reply = client.chat.completions.create(
      model="eliza", messages=[{"role": "user", "content": "I am unhappy."}])
  print(reply.choices[0].message.content)
EOF
