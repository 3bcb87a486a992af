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
  --api-key KEY           bearer key clients must send (default: $ELIZA_API_KEY, which keeps
                          the key off this script's command line)
  --allowed-cidrs LIST    comma-separated IPv4/IPv6 CIDRs allowed to call the API
  --public                no key and no allow-list: anyone who finds the URL may call it
  --reserved-concurrency N
                          most invocations at once, the cap on cost and blast radius (stack
                          default 10; 0 stops the function; -1 reserves nothing)
  --allow-direct-invocation true|false
                          serve `aws lambda invoke` events, which skip the key and the
                          allow-list (stack default false)
  --architecture ARCH     x86_64 or arm64 (default: x86_64); `make lambda` builds for it
  --script PATH           ship an ELIZA script (NAME.eliza, served as the model NAME) with the
                          function, checked with elizac first; repeatable. A deploy without it
                          ships none (docs/authoring.md)
  --inline-scripts on|off let a request carry its own script in eliza.script (stack default on)
  --simulation on|off     let a request ask for simulated failures and timing (x-eliza-simulate,
                          model@spec, eliza.simulate; stack default off; docs/failures.md)
  --front-door http|rest  http (default): the HTTP API, $1.00 per million requests, buffered
                          answers (template.yaml). rest: the REST API, $3.50 per million, with the
                          allow-list in its resource policy, optional WAF and response streaming
                          (template-rest.yaml). See docs/production.md
  --web-acl-arn ARN       a REGIONAL AWS WAF web ACL for the REST API stage (--front-door rest;
                          '' removes it)
  --log-group-name NAME   the function's log group (default: /aws/lambda/<stack-name>)
  --dry-run               print the commands instead of running them
  -h, --help              show this help

Closed unless asked to be open. A new stack deployed with neither --api-key nor --allowed-cidrs
gets a generated key, printed once, at the end. An existing stack keeps the key, allow-list,
reserved concurrency and direct-invocation setting it has unless the option is given; an empty
value (--api-key '' or --allowed-cidrs '') removes that one, and a deploy that would leave the
stack with neither needs --public. The parameters reach sam in a private temporary file, never
on a command line.
EOF
}

usage_error() {
  echo "error: $1" >&2
  echo "see './deploy.sh --help'" >&2
  exit 64
}

fail() {
  echo "error: $1" >&2
  exit 1
}

stack_name="eliza-lambda"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
allowed_cidrs=""
cidrs_given=0
api_key="${ELIZA_API_KEY:-}"
# env, flag, or empty (no key given); an empty ELIZA_API_KEY counts as unset.
api_key_source=""
[ -z "$api_key" ] || api_key_source=env
public=0
reserved_concurrency=""
allow_direct_invocation=""
architecture="x86_64"
front_door="http"
web_acl_arn=""
web_acl_given=0
log_group_name=""
dry_run=0
scripts=()
inline_scripts=""
simulation=""

set_option() {
  case "$1" in
    --stack-name) stack_name="$2" ;;
    --region) region="$2" ;;
    --allowed-cidrs) allowed_cidrs="$2"; cidrs_given=1 ;;
    --api-key) api_key="$2"; api_key_source=flag ;;
    --reserved-concurrency) reserved_concurrency="$2" ;;
    --allow-direct-invocation) allow_direct_invocation="$2" ;;
    --architecture) architecture="$2" ;;
    --front-door) front_door="$2" ;;
    --web-acl-arn) web_acl_arn="$2"; web_acl_given=1 ;;
    --log-group-name) log_group_name="$2" ;;
    --script) scripts+=("$2") ;;
    --inline-scripts) inline_scripts="$2" ;;
    --simulation) simulation="$2" ;;
  esac
}

value_options="--stack-name --region --allowed-cidrs --api-key --reserved-concurrency --allow-direct-invocation"
value_options+=" --architecture --log-group-name --script --inline-scripts --simulation --front-door --web-acl-arn"
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dry-run) dry_run=1; shift ;;
    --public) public=1; shift ;;
    --*=*)
      [[ " $value_options " == *" ${1%%=*} "* ]] || usage_error "unknown option '$1'"
      set_option "${1%%=*}" "${1#*=}"; shift ;;
    --*)
      [[ " $value_options " == *" $1 "* ]] || usage_error "unknown option '$1'"
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      set_option "$1" "$2"; shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

[ -n "$region" ] || usage_error "no region: pass --region or set AWS_REGION"
[[ "$stack_name" =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]] ||
  usage_error "--stack-name must start with a letter and hold only letters, digits and '-'"
case "$architecture" in x86_64 | arm64) ;; *) usage_error "--architecture must be x86_64 or arm64" ;; esac
case "$front_door" in
  http) template="template.yaml" ;;
  rest) template="template-rest.yaml" ;;
  *) usage_error "--front-door must be http or rest" ;;
esac
[ "$web_acl_given" -eq 0 ] || [ "$front_door" = rest ] ||
  usage_error "--web-acl-arn needs --front-door rest (an HTTP API cannot have a WAF web ACL)"
[[ -z "$web_acl_arn" || "$web_acl_arn" =~ ^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}$ ]] ||
  usage_error "--web-acl-arn must be the ARN of a REGIONAL WAFv2 web ACL"
# The REST API's resource policy splits the list on commas, so its entries carry no spaces, and
# takes CIDR blocks: a bare address becomes its /32 (IPv4) or /128 (IPv6).
rest_cidrs() {
  local list="${1//[[:space:]]/}" entry out=""
  [ -n "$list" ] || return 0
  IFS=, read -r -a entries <<<"$list"
  for entry in "${entries[@]}"; do
    if [[ "$entry" != */* ]]; then
      if [[ "$entry" == *:* ]]; then entry+="/128"; else entry+="/32"; fi
    fi
    out+="${out:+,}$entry"
  done
  printf '%s' "$out"
}
[ "$front_door" != rest ] || allowed_cidrs="$(rest_cidrs "$allowed_cidrs")"
# RFC 6750 b64token, the same pattern the template's ApiKey parameter enforces; it also makes the
# value safe inside sam's quoted Key="value" parameter syntax.
[[ -z "$api_key" || "$api_key" =~ ^[A-Za-z0-9._~+/-]+=*$ ]] ||
  usage_error "the API key may hold only letters, digits and . _ ~ + / - (then '=' padding)"
# The template's AllowedPattern judges the list; here only what would break the quoting.
[[ "$allowed_cidrs" != *[\"\\[:cntrl:]]* ]] ||
  usage_error "--allowed-cidrs holds a quote, a backslash or a control character"
[[ -z "$reserved_concurrency" || "$reserved_concurrency" =~ ^(-1|0|[1-9][0-9]{0,5})$ ]] ||
  usage_error "--reserved-concurrency must be a whole number, 0 (stopped) or -1 (no reservation)"
case "$allow_direct_invocation" in "" | true | false) ;;
  *) usage_error "--allow-direct-invocation must be true or false" ;;
esac
if [ "$public" -eq 1 ]; then
  [ "$api_key_source" != flag ] && [ "$cidrs_given" -eq 0 ] ||
    usage_error "--public means no key and no allow-list: drop --api-key and --allowed-cidrs"
  # A flag wins over the environment: ELIZA_API_KEY may be exported for the clients.
  api_key="" api_key_source=""
fi
case "$inline_scripts" in "" | on | off) ;; *) usage_error "--inline-scripts must be on or off" ;; esac
case "$simulation" in "" | on | off) ;; *) usage_error "--simulation must be on or off" ;; esac
for i in ${scripts[@]+"${!scripts[@]}"}; do
  script="${scripts[$i]}"
  name="$(basename -- "$script")"
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,64}\.eliza$ ]] ||
    usage_error "--script $script: the file must be NAME.eliza, NAME of letters, digits, '.', '_' and '-' (the model's name)"
  [ -f "$script" ] || usage_error "--script $script: no such file"
  # Absolute, since this script changes to its own directory below.
  scripts[$i]="$(cd "$(dirname -- "$script")" && pwd)/$name"
done
duplicate="$(for script in ${scripts[@]+"${scripts[@]}"}; do basename -- "$script"; done | sort | uniq -d | head -1)"
[ -z "$duplicate" ] || usage_error "--script: two scripts are named $duplicate; a model name must be unique"
[ -n "$log_group_name" ] || log_group_name="/aws/lambda/$stack_name"
[[ "$log_group_name" =~ ^[-._/#A-Za-z0-9]{1,512}$ ]] ||
  usage_error "--log-group-name may hold only letters, digits and . - _ / # (1-512 characters)"

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

work="$(mktemp -d "${TMPDIR:-/tmp}/eliza-deploy.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Does the stack exist, and what protects it now? The same test as `sam deploy` (REVIEW_IN_PROGRESS
# is a stack never created); a failure other than "does not exist" stops here, since guessing "new"
# would replace the stack's key with a generated one. JMESPath's `||` turns empty and missing into '-'.
stack_state=new previous_cidrs=- previous_key_required=-
state_cmd=(aws cloudformation describe-stacks --stack-name "$stack_name" --region "$region" --output text
  --query "Stacks[0].[StackStatus, Parameters[?ParameterKey=='AllowedCallerCIDR'].ParameterValue|[0] || '-', Outputs[?OutputKey=='ApiKeyRequired'].OutputValue|[0] || '-']")
show "${state_cmd[@]}"
if [ "$dry_run" -eq 0 ]; then
  if state="$("${state_cmd[@]}" 2>"$work/describe-stacks.err")"; then
    IFS=$'\t' read -r status previous_cidrs previous_key_required <<<"$state"
    case "$status" in
      REVIEW_IN_PROGRESS) ;;
      ROLLBACK_COMPLETE)
        fail "stack $stack_name is in ROLLBACK_COMPLETE (its creation failed) and cannot be updated; delete it with 'sam delete --stack-name $stack_name --region $region', then deploy again" ;;
      *) stack_state=existing ;;
    esac
  elif grep -q "does not exist" "$work/describe-stacks.err"; then
    stack_state=new
  else
    cat "$work/describe-stacks.err" >&2
    fail "cannot tell whether stack $stack_name exists in $region (see above); nothing was deployed"
  fi
fi

# Only what is given is passed: SAM sends every other parameter as UsePreviousValue to an existing
# stack and leaves it at the template default for a new one.
overrides=()
override() { overrides+=("$1=\"$2\""); }
generated_key=0
if [ "$public" -eq 1 ]; then
  override AllowedCallerCIDR ""
  override ApiKey ""
elif [ "$stack_state" = new ]; then
  if [ -z "$api_key" ] && [ -z "$allowed_cidrs" ]; then
    [ "$api_key_source" != flag ] ||
      usage_error "--api-key '' without --allowed-cidrs would leave the new stack open to every caller; pass --public for that"
    api_key="$(random_key)"
    secret="$api_key"
    generated_key=1
  fi
  override AllowedCallerCIDR "$allowed_cidrs"
  override ApiKey "$api_key"
else
  [ "$cidrs_given" -eq 0 ] || override AllowedCallerCIDR "$allowed_cidrs"
  [ -z "$api_key_source" ] || override ApiKey "$api_key"
  cidrs_after="$previous_cidrs"
  [ "$cidrs_given" -eq 0 ] || cidrs_after="${allowed_cidrs:--}"
  key_after="$previous_key_required"
  [ -z "$api_key_source" ] || { if [ -n "$api_key" ]; then key_after=true; else key_after=false; fi; }
  if [ "$cidrs_after" = - ] && [ "$key_after" = false ]; then
    fail "stack $stack_name would be open to every caller (no API key, no allow-list); pass --api-key or --allowed-cidrs to close it, or --public to keep it open"
  fi
fi
override Architecture "$architecture"
override LogGroupName "$log_group_name"
[ -z "$reserved_concurrency" ] || override ReservedConcurrency "$reserved_concurrency"
[ -z "$allow_direct_invocation" ] || override AllowDirectInvocation "$allow_direct_invocation"
[ -z "$inline_scripts" ] || override InlineScripts "$inline_scripts"
[ -z "$simulation" ] || override Simulation "$simulation"
# The scripts travel in the package, rebuilt by every deploy: a deploy without --script ships none, so
# an existing stack is told so too (its previous value would name a folder no longer there).
build_env=(env LAMBDA_ARCH="$architecture")
if [ ${#scripts[@]} -gt 0 ]; then
  run mkdir -p "$work/scripts"
  for script in "${scripts[@]}"; do run cp -- "$script" "$work/scripts/"; done
  build_env+=(ELIZA_DEPLOY_SCRIPTS="$work/scripts")
  override Scripts /var/task/scripts
elif [ "$stack_state" = existing ]; then
  override Scripts ""
fi
[ "$web_acl_given" -eq 0 ] || override WebAclArn "$web_acl_arn"
# An HTTP API stack's list may hold spaces or bare addresses, which the REST policy cannot take:
# moving the stack to the REST front door passes the same list as CIDR blocks without spaces.
if [ "$front_door" = rest ] && [ "$stack_state" = existing ] && [ "$cidrs_given" -eq 0 ] && [ "$public" -eq 0 ] &&
  [ "$previous_cidrs" != - ] && [ "$(rest_cidrs "$previous_cidrs")" != "$previous_cidrs" ]; then
  override AllowedCallerCIDR "$(rest_cidrs "$previous_cidrs")"
fi

# sam reads the overrides from a config file that only this user can read (mktemp -d is 0700),
# removed on exit: on its command line, `ps` would show the key to every local user.
sam_config="$work/samconfig.toml"
if [ "$dry_run" -eq 0 ]; then
  joined="${overrides[*]}"
  (
    umask 077
    printf '%s\n' "# Written by deploy.sh for one 'sam deploy' and deleted after it." "version = 0.1" "" \
      "[default.deploy.parameters]" "parameter_overrides = \"${joined//\"/\\\"}\"" >"$sam_config"
  )
fi

export SAM_CLI_TELEMETRY=0

# LAMBDA_ARCH tells the Makefile which architecture to build bootstrap for (a cross-build needs the
# Swift Static Linux SDK; see docs/deploy.md).
run "${build_env[@]}" sam build --template-file "$template"
shown="${overrides[*]}"
[ -z "$secret" ] || shown="${shown//"$secret"/***}"
echo "  parameters in that file: $shown" >&3
if [ "$stack_state" = new ]; then
  echo "  every other parameter: the template default (a new stack)" >&3
else
  echo "  every other parameter: the stack's current value" >&3
fi
run sam deploy \
  --template-file .aws-sam/build/template.yaml \
  --stack-name "$stack_name" \
  --region "$region" \
  --capabilities CAPABILITY_IAM \
  --resolve-s3 \
  --no-fail-on-empty-changeset \
  --no-confirm-changeset \
  --config-file "$sam_config"

api_base_url="https://API_ID.execute-api.$region.amazonaws.com/v1"
[ "$front_door" != rest ] || api_base_url="https://API_ID.execute-api.$region.amazonaws.com/prod/v1"
function_name="FUNCTION_NAME"
function_log_group="$log_group_name"
access_log_group="ACCESS_LOG_GROUP"
key_required="-"
allowed_callers="-"
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
      ApiKeyRequired) key_required="$value" ;;
      AllowedCallers) allowed_callers="$value" ;;
    esac
  done <<<"$outputs"
fi

if [ "$generated_key" -eq 1 ]; then
  key_note="the key generated for this stack, above"
elif [ "$key_required" = false ]; then
  key_note="any non-empty value: the stack has no API key"
elif [ "$api_key_source" = flag ]; then
  key_note="the key passed to --api-key"
elif [ "$api_key_source" = env ]; then
  key_note="the key deployed from \$ELIZA_API_KEY"
elif [ "$public" -eq 1 ]; then
  key_note="any non-empty value: the stack has no API key"
else
  key_note="the key the stack already had; unchanged"
fi
if [ "$dry_run" -eq 1 ]; then
  echo
  echo "Dry run: nothing was built or deployed; the values below are placeholders, and the stack is"
  echo "taken to be new (a real run asks CloudFormation)."
elif [ "$key_required" = false ] && [ "$allowed_callers" = everyone ] && [ "$public" -eq 0 ]; then
  echo "warning: stack $stack_name is open to every caller (no API key, no allow-list); deploy again" \
    "with --api-key or --allowed-cidrs to close it, or with --public to say it is meant to be" >&2
fi
cat <<EOF

Stack $stack_name in $region:
  ApiBaseUrl:           $api_base_url
  FunctionName:         $function_name
  FunctionLogGroupName: $function_log_group
  AccessLogGroupName:   $access_log_group
  ApiKeyRequired:       $key_required
  AllowedCallers:       $allowed_callers

Tail the logs:  aws logs tail $function_log_group --follow --region $region
EOF
if [ "$generated_key" -eq 1 ]; then
  if [ "$dry_run" -eq 1 ]; then
    printf '\nThe API key would be generated now and shown here, once.\n'
  else
    cat <<EOF

The stack's API key, generated now and shown only this once (CloudFormation keeps it NoEcho); store
it where your clients read it from:

  export ELIZA_API_KEY=$api_key
EOF
  fi
fi
cat <<EOF

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
