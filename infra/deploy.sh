#!/usr/bin/env bash
# Deploy or tear down a per-pull-request mockidp stack from this checkout: a thin wrapper
# over `mockidp deploy` / `mockidp destroy` / `mockidp package` (docs/deploy.md).
#
#   infra/deploy.sh deploy PR_NUMBER     build the package, deploy the stack, print the issuer
#   infra/deploy.sh delete PR_NUMBER     delete the stack (function, table, role, logs)
#   infra/deploy.sh name   PR_NUMBER     print the stack name only
#   infra/deploy.sh build                only build the package into .aws-build/
#
# Environment:
#   AWS_REGION               region (required; or AWS_DEFAULT_REGION)
#   MOCKIDP_ADMIN_TOKEN      admin token for the test-control API (deploy; 16+ characters)
#   MOCKIDP_SCENARIO_FILE    scenario file to ship with the function (default:
#                            scenarios/default.yaml; validated first)
#   MOCKIDP_ISSUER           fixed issuer URL, e.g. a custom domain (deploy; optional)
#   MOCKIDP_STACK_PREFIX     stack name prefix (default: mockidp-pr)
#   PYTHON                   python with mockidp installed (`pip install -e '.[aws]'`;
#                            default: python3); Python 3.12 ships bytecode
#   GITHUB_OUTPUT            when set (GitHub Actions), issuer=... and stack=... are
#                            appended to it
#
# Needs: credentials allowed to manage CloudFormation, Lambda, IAM roles, DynamoDB, Logs
# and the S3 bucket for the package (docs/deploy.md).
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
scenario="${MOCKIDP_SCENARIO_FILE:-scenarios/default.yaml}"
python=${PYTHON:-python3}
fail() {
    echo "error: $*" >&2
    exit 1
}
command -v "$python" >/dev/null 2>&1 || fail "PYTHON=$python is not installed"
"$python" -c 'import mockidp.cli' 2>/dev/null ||
    fail "$python cannot import mockidp: run $python -m pip install 'mockidp-oidc[aws]' (or -e '.[aws]')"
mockidp() { "$python" -m mockidp "$@"; }

need_region() {
    [ -n "$region" ] || { echo "error: set AWS_REGION" >&2; exit 64; }
}

case "$command" in
    deploy)
        need_region
        options=()
        if [ -n "${MOCKIDP_ISSUER:-}" ]; then
            options+=(--issuer "$MOCKIDP_ISSUER")
        fi
        mockidp deploy --stack "$stack" --region "$region" --scenario "$scenario" "${options[@]}"
        ;;
    delete)
        need_region
        mockidp destroy --stack "$stack" --region "$region"
        ;;
    name) echo "$stack" ;;
    build)
        # Not `build && echo`: a function or command in an && list runs without `set -e`,
        # so a failing step would not stop the script.
        mockidp package --out .aws-build --scenario "$scenario"
        ;;
    *) usage ;;
esac
