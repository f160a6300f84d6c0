#!/usr/bin/env bash
# Deploy or tear down a per-pull-request mockidp stack (template.yaml) with AWS SAM.
#
#   infra/deploy.sh deploy PR_NUMBER     build the package, sam deploy, print the issuer
#   infra/deploy.sh delete PR_NUMBER     sam delete (the table and logs go with the stack)
#   infra/deploy.sh name   PR_NUMBER     print the stack name only
#   infra/deploy.sh build                only build the package into .aws-build/lambda
#
# Environment:
#   AWS_REGION               region (required; or AWS_DEFAULT_REGION)
#   MOCKIDP_ADMIN_TOKEN      admin token for the test-control API (deploy; 16+ characters)
#   MOCKIDP_SCENARIO_FILE    scenario file to ship with the function (deploy; optional)
#   MOCKIDP_ISSUER           fixed issuer URL, e.g. a custom domain (deploy; optional)
#   MOCKIDP_STACK_PREFIX     stack name prefix (default: mockidp-pr)
#   PYTHON                   python used to build the package (default: python3): any
#                            Python 3.11+ with pip; Python 3.12 (the runtime's) to ship
#                            bytecode; with MOCKIDP_SCENARIO_FILE it runs
#                            "$PYTHON -m mockidp validate", so mockidp and its
#                            dependencies must be installed in it (pip install -e .)
#   GITHUB_OUTPUT            when set (GitHub Actions), issuer=... and stack=... are
#                            appended to it
#
# Needs: sam (AWS SAM CLI), aws (AWS CLI v2), python3 with pip, credentials allowed to
# manage CloudFormation, Lambda, IAM roles, DynamoDB, Logs and the SAM artifact bucket.
set -euo pipefail

usage() {
    sed -n '2,9p' "$0" >&2
    exit 64
}

[ $# -ge 1 ] || usage
command=$1
if [ "$command" = build ]; then
    [ $# -eq 1 ] || usage
    set -- build 0
fi
[ $# -eq 2 ] || usage
pr=$2
case "$pr" in
    '' | *[!0-9]*) echo "error: PR_NUMBER must be a number, not '$pr'" >&2; exit 64 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
stack="${MOCKIDP_STACK_PREFIX:-mockidp-pr}-${pr}"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is not installed" >&2; exit 69; }
}

fail() {
    echo "error: $*" >&2
    exit 1
}

build() {
    # A Lambda package for python3.12 on arm64 (template.yaml's Runtime and
    # Architectures): mockidp's wheel plus the aws extra, binary wheels for aarch64.
    # Each step fails the script with its message ("build && ..." would switch off
    # set -e inside this function, so nothing here relies on it).
    local python=${PYTHON:-python3} out=.aws-build runtime_version=3.12
    command -v "$python" >/dev/null 2>&1 || fail "PYTHON=$python is not installed"
    "$python" -m pip --version >/dev/null 2>&1 || fail "$python has no pip"
    if [ -n "${MOCKIDP_SCENARIO_FILE:-}" ]; then
        "$python" -c 'import mockidp.cli' 2>/dev/null ||
            fail "$python cannot import mockidp (needed to validate MOCKIDP_SCENARIO_FILE):" \
                "run $python -m pip install -e ."
    fi
    rm -rf "$out"
    mkdir -p "$out/wheels" "$out/lambda" || fail "cannot create $out"
    "$python" -m pip wheel --no-deps --wheel-dir "$out/wheels" . ||
        fail "building mockidp's wheel failed"
    local wheel
    wheel=$(ls "$out"/wheels/mockidp-*.whl) || fail "no mockidp wheel in $out/wheels"
    "$python" -m pip install \
        --target "$out/lambda" \
        --platform manylinux2014_aarch64 \
        --implementation cp \
        --python-version "$runtime_version" \
        --only-binary=:all: \
        --upgrade \
        "${wheel}[aws]" ||
        fail "installing the package and its dependencies into $out/lambda failed"
    if [ -n "${MOCKIDP_SCENARIO_FILE:-}" ]; then
        "$python" -m mockidp validate "$MOCKIDP_SCENARIO_FILE" ||
            fail "$MOCKIDP_SCENARIO_FILE is not a valid scenario"
        cp "$MOCKIDP_SCENARIO_FILE" "$out/lambda/scenario.yaml" ||
            fail "cannot copy $MOCKIDP_SCENARIO_FILE"
    fi
    find "$out/lambda" -name '__pycache__' -type d -prune -exec rm -rf {} + ||
        fail "cannot remove __pycache__ folders"
    # Ship bytecode, or every cold start compiles each module from source (Lambda's
    # /var/task is read-only, so nothing is cached): about 180 ms instead of 310 ms for
    # the handler's import (bench/cold_import.py --bytecode). Bytecode is per Python
    # version, so only an interpreter of the runtime's version can write it;
    # unchecked-hash .pyc files stay valid whatever the files' times in the zip.
    if [ "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$runtime_version" ]; then
        "$python" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$out/lambda" ||
            fail "compiling the package's bytecode failed"
    else
        echo "warning: $python is not Python $runtime_version (template.yaml's Runtime):" \
            "no bytecode shipped, so cold starts compile every module;" \
            "set PYTHON=python$runtime_version" >&2
    fi
}

deploy() {
    need sam
    need aws
    [ -n "$region" ] || { echo "error: set AWS_REGION" >&2; exit 64; }
    local token=${MOCKIDP_ADMIN_TOKEN:-}
    if [ ${#token} -lt 16 ]; then
        echo "error: set MOCKIDP_ADMIN_TOKEN (16 characters or more)" >&2
        exit 64
    fi
    build
    local overrides=("AdminToken=$token")
    if [ -n "${MOCKIDP_SCENARIO_FILE:-}" ]; then
        overrides+=("Scenario=/var/task/scenario.yaml")  # Lambda's code directory
    fi
    if [ -n "${MOCKIDP_ISSUER:-}" ]; then
        overrides+=("Issuer=$MOCKIDP_ISSUER")
    fi
    sam deploy \
        --template-file template.yaml \
        --stack-name "$stack" \
        --region "$region" \
        --resolve-s3 \
        --s3-prefix "$stack" \
        --capabilities CAPABILITY_IAM \
        --no-confirm-changeset \
        --no-fail-on-empty-changeset \
        --parameter-overrides "${overrides[@]}" \
        --tags "mockidp:pr=$pr"
    local issuer
    issuer=$(aws cloudformation describe-stacks \
        --stack-name "$stack" \
        --region "$region" \
        --query "Stacks[0].Outputs[?OutputKey=='IssuerUrl'].OutputValue" \
        --output text)
    echo "mockidp: stack $stack, issuer $issuer"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        {
            echo "issuer=$issuer"
            echo "stack=$stack"
        } >>"$GITHUB_OUTPUT"
    fi
}

delete() {
    need sam
    [ -n "$region" ] || { echo "error: set AWS_REGION" >&2; exit 64; }
    sam delete --stack-name "$stack" --region "$region" --no-prompts
    echo "mockidp: stack $stack deleted"
}

case "$command" in
    deploy) deploy ;;
    delete) delete ;;
    name) echo "$stack" ;;
    build)
        build
        echo "mockidp: package in .aws-build/lambda"
        ;;
    *) usage ;;
esac
