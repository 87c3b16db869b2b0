# Shared by infra/test.sh and infra/tests/broken.sh (sourced, not run).
#
# Terraform runs on a staged copy of infra/ (its own small git repository in a temp dir): nothing
# is written into the working tree, concurrent edits elsewhere in the repository cannot break
# the copy, and tf-offline does not copy the repository's build outputs and virtualenvs.

INFRA_ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null ||
  (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd))

# The offline stand-in for the AWS provider, when this checkout sits next to the shared tools
# (TF_OFFLINE=none forces the real provider).
TF_OFFLINE=${TF_OFFLINE:-$INFRA_ROOT/../shared/tools/terraform-offline/tf-offline}
if [ "$TF_OFFLINE" = none ] || [ ! -x "$TF_OFFLINE" ]; then
  TF_OFFLINE=
else
  TF_OFFLINE=$(cd "$(dirname "$TF_OFFLINE")" && pwd)/$(basename "$TF_OFFLINE")
fi

# A TF_CLI_CONFIG_FILE naming a missing file only makes every terraform call print a warning.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

if [ -z "$TF_OFFLINE" ]; then
  # The real provider is downloaded once per machine, not once per staged copy.
  export TF_PLUGIN_CACHE_DIR=${TF_PLUGIN_CACHE_DIR:-$HOME/.terraform.d/plugin-cache}
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
fi

# stage_infra DEST: copy infra/ (without Terraform state, caches and tfvars) to DEST/infra and
# make DEST a git repository, so tf-offline copies DEST, not the whole checkout.
stage_infra() {
  local dest=$1
  mkdir -p "$dest"
  tar -C "$INFRA_ROOT" --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate' \
    --exclude='*.tfstate.*' --exclude=terraform.tfvars --exclude='*.auto.tfvars' -cf - infra |
    tar -C "$dest" -xf -
  git -C "$dest" init -q
}

# tf_validate DIR: terraform validate with the offline provider, else with the real one.
tf_validate() {
  local dir=$1
  if [ -n "$TF_OFFLINE" ]; then
    "$TF_OFFLINE" validate "$dir"
  else
    (cd "$dir" && terraform init -backend=false -input=false -no-color >/dev/null && terraform validate -no-color)
  fi
}

# tf_test DIR [ARGS...]: terraform test (mocked providers, no credentials).
tf_test() {
  local dir=$1
  shift
  if [ -n "$TF_OFFLINE" ]; then
    "$TF_OFFLINE" test "$dir" "$@"
  else
    (cd "$dir" && terraform init -backend=false -input=false -no-color >/dev/null &&
      terraform validate -no-color && terraform test -no-color "$@")
  fi
}
