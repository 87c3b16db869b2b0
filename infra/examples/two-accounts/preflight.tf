# After apply: the function's preflight ({"action":"preflight"}) from a check block, so a broken
# chain (execution role, target role trust, its grants, the bucket policy, the KMS key) warns
# with the failed checks and their fixes instead of showing first as an AccessDenied in a log.
# See preflight/main.tf and the README ("After apply: the preflight").
#
# A module because a check's data source takes no count. depends_on both modules: on a plan
# with changes the invocation waits until they are applied (then it runs at the end of apply);
# on a plan without changes it runs during the plan. Every run puts one canary under
# <key_prefix>preflight/, which the target-bucket module's lifecycle rule expires.

module "preflight" {
  source = "./preflight"
  count  = var.run_preflight ? 1 : 0
  providers = {
    aws = aws.lambda
  }

  function_name = module.writer_function.lambda_function_name
  # What the triggers invoke: the alias; else the published version; else $LATEST.
  qualifier = var.alias_name != null ? var.alias_name : (var.publish ? module.writer_function.lambda_function_version : null)

  depends_on = [module.writer_function, module.target_bucket]
}
