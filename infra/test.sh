#!/usr/bin/env bash
# Tests of the Terraform in infra/, without AWS credentials:
#   1. terraform fmt -check -recursive infra; provider constraints; module README tables in sync;
#      the deploy zip's path the same in the Makefile, the READMEs and the example
#      every broken.sh case listed in infra/README.md
#   2. validate each module and the example
#   3. terraform test of the example (tests/*.tftest.hcl, both provider aliases mocked)
#   4. infra/tests/broken.sh: deliberately broken copies must FAIL terraform test
#   5. checkov (offline)
# Uses ../shared/tools/terraform-offline/tf-offline (next to the repository) when it exists,
# else plain terraform with the real hashicorp/aws provider (downloaded by terraform init).
# Prints a summary; exits non-zero if any step fails.
#
# Env: CHECKOV             checkov binary (default .venv/bin/checkov)
#      TF_OFFLINE          tf-offline path, or "none" for the real provider
#      INFRA_BROKEN_JOBS   parallel broken copies (default 3)
#      INFRA_BROKEN_ALL    1: also the extra broken cases (tests/broken.sh --all)
#      INFRA_TEST_VERBOSE  1: print every step's full output
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tests/lib.sh"
cd "$INFRA_ROOT"

CHECKOV=${CHECKOV:-.venv/bin/checkov}
work=$(mktemp -d "${TMPDIR:-/tmp}/infra-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

summary=()
failed=0
started=$SECONDS

# step NAME CMD...: run CMD, keep its output, record PASS/FAIL and the time it took.
step() {
  local name=$1 log=$work/step-${#summary[@]}.log t0=$SECONDS status rc=0
  shift
  echo "--- $name"
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    status=PASS
    if [ "${INFRA_TEST_VERBOSE:-0}" = 1 ]; then
      cat "$log"
    else
      grep -E '^(Success!|Failure!)|^broken\.sh:|^  ok |Passed checks|^provider constraints:|^readme_tables\.py:|^example_inputs\.py:|^package_path\.py:|^broken_cases_listed\.py:' "$log" | sed 's/^/    /' || true
    fi
  else
    status=FAIL
    failed=$((failed + 1))
    if [ "${INFRA_TEST_VERBOSE:-0}" = 1 ]; then cat "$log"; else tail -n 80 "$log"; fi
    echo "    => FAILED (exit $rc)"
  fi
  summary+=("$(printf '%s  %-52s %4ss' "$status" "$name" $((SECONDS - t0)))")
}

run_checkov() {
  if [ ! -x "$CHECKOV" ]; then
    echo "checkov not found at '$CHECKOV' (set CHECKOV=/path/to/checkov; pip install checkov)"
    return 1
  fi
  # A file checkov cannot parse is skipped with its checks, and checkov still exits 0: the
  # JSON summary's parsing_errors is what tells, so any parse error fails this step.
  local json=$work/checkov.json rc=0
  BC_SKIP_MAPPING=TRUE "$CHECKOV" -d infra --framework terraform --skip-download --quiet --compact \
    -o cli -o json --output-file-path "console,$json" || rc=$?
  [ "$rc" -eq 0 ] || return "$rc"
  python3 - "$json" <<'PY'
import json, sys
reports = json.load(open(sys.argv[1]))
reports = reports if isinstance(reports, list) else [reports]
errors = sum(report["summary"]["parsing_errors"] for report in reports)
if errors:
    sys.exit(f"checkov could not parse {errors} file(s): their checks did not run (see 'Parsing errors' above)")
PY
}

# The modules require a floor of hashicorp/aws that has every argument they use and no upper
# bound; only the example root pins with ~>.
check_versions() {
  local f bad=0
  for f in infra/modules/*/versions.tf; do
    if ! grep -qE '^ +version += ">= 6\.22\.0"$' "$f" || grep -q '~>' "$f"; then
      echo "$f: hashicorp/aws must be required as \">= 6.22.0\" (a floor, no upper bound, no ~>)"
      bad=1
    fi
  done
  f=infra/examples/two-accounts/versions.tf
  if ! grep -qE '^ +version += "~> 6\.22"$' "$f"; then
    echo "$f: the example root pins hashicorp/aws \"~> 6.22\""
    bad=1
  fi
  [ "$bad" -eq 0 ] && echo "provider constraints: modules >= 6.22.0, example ~> 6.22"
  return "$bad"
}

if [ -n "$TF_OFFLINE" ]; then
  echo "infra tests: offline AWS provider stand-in ($TF_OFFLINE)"
else
  echo "infra tests: real hashicorp/aws provider (terraform init; plugin cache $TF_PLUGIN_CACHE_DIR)"
fi
command -v terraform >/dev/null || { echo "terraform not found on PATH" >&2; exit 1; }

stage_infra "$work/stage"
staged=$work/stage/infra

step "fmt -check -recursive infra" terraform fmt -check -recursive -diff infra
step "provider constraints: floors in modules, ~> in the example" check_versions
step "module READMEs: Inputs/Outputs tables in sync" python3 infra/tests/readme_tables.py
step "example passes every module input" python3 infra/tests/example_inputs.py
step "one deploy zip path: Makefile, READMEs, example" python3 infra/tests/package_path.py
step "README lists every broken.sh case" python3 infra/tests/broken_cases_listed.py
step "validate modules/writer-function" tf_validate "$staged/modules/writer-function"
step "validate modules/target-bucket" tf_validate "$staged/modules/target-bucket"
step "validate examples/two-accounts" tf_validate "$staged/examples/two-accounts"
step "terraform test examples/two-accounts" tf_test "$staged/examples/two-accounts"
broken_args=()
[ "${INFRA_BROKEN_ALL:-0}" = 1 ] && broken_args=(--all)
step "broken copies must fail (tests/broken.sh)" bash infra/tests/broken.sh "${broken_args[@]}"
step "checkov -d infra" run_checkov

echo
echo "== infra tests: summary =="
printf '%s\n' "${summary[@]}"
total=$((SECONDS - started))
if [ "$failed" -ne 0 ]; then
  echo "FAILED: $failed of ${#summary[@]} steps (${total}s)"
  exit 1
fi
echo "OK: all ${#summary[@]} steps passed (${total}s)"
