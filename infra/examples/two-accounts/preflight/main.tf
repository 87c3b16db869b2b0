# The function's preflight after `terraform apply`: one synchronous invocation with
# {"action":"preflight"}, which runs the real write path against the real bucket (a fresh canary
# under <key_prefix>preflight/) and answers named checks. A check block never stops an apply: a
# broken chain shows as a warning naming each failed check, the account and the statement that
# is missing, and the fix. The root calls this module with count (a check's data source takes no
# count) and depends_on both modules, so on a plan with changes the invocation waits for apply.
#
# The answer (the function's contract):
#   {"ok": bool, "bucket": ..., "key_prefix": ..., "canary_key": ...,
#    "checks": [{"name", "status": "ok"|"failed"|"warning"|"skipped", "code"?, "detail"?, "fix"?,
#                "account"?, "statement"?, "policy"?, "resource"?, "candidates"?: [places]}, ...]}
# `ok` is true iff no check failed. A function error (the invocation itself failing) is a
# provider error, which Terraform turns into a warning for a data source inside a check block.

locals {
  request = jsonencode({ action = "preflight" })
}

check "preflight" {
  data "aws_lambda_invocation" "preflight" {
    function_name = var.function_name
    qualifier     = var.qualifier
    input         = local.request
  }

  # One assertion (a plan whose invocation waits for apply shows one "known after apply"
  # warning per assertion). It holds when the answer is ok and no check warns: a warning is not a
  # pass (e.g. the bucket accepted an unconditional PUT under the prefix: its conditional-write
  # deny is missing). The message lists each failed check with its error code, what happened,
  # the fix and where the fix goes (account, statement, policy template, the Terraform resource
  # that renders it, then the other candidate places), then each warning.
  assert {
    condition = try(jsondecode(data.aws_lambda_invocation.preflight.result).ok, null) == true && length([
      for c in try(jsondecode(data.aws_lambda_invocation.preflight.result).checks, []) : c if try(c.status, "") == "warning"
    ]) == 0
    error_message = !can(jsondecode(data.aws_lambda_invocation.preflight.result).checks) ? (
      "The writer's preflight gave no answer with checks (a function built before {\"action\":\"preflight\"}?): deploy the current build, or set run_preflight = false."
      ) : join("\n", concat(
        [try(jsondecode(data.aws_lambda_invocation.preflight.result).ok, null) == true ? "The writer's preflight passed, with warnings:" : join("", [
          "The writer's preflight FAILED: the chain to s3://",
          try("${jsondecode(data.aws_lambda_invocation.preflight.result).bucket}/${jsondecode(data.aws_lambda_invocation.preflight.result).key_prefix}", "?"),
          " is broken. Right after an apply that changed IAM this can be propagation: run `terraform apply` again (or invoke {\"action\":\"preflight\"}) before changing anything. Failed checks:",
        ])],
        [for c in jsondecode(data.aws_lambda_invocation.preflight.result).checks :
          join("", [
            try("- ${c.name}", "- ?"),
            try(" [${c.code}]", ""),
            try(": ${c.detail}", ""),
            try("\n    fix: ${c.fix}", ""),
            try("\n    account: ${c.account}", ""),
            try("\n    statement: ${c.statement}", ""),
            try("\n    policy: ${c.policy}", ""),
            try("\n    resource: ${c.resource}", ""),
            # `candidates`: every place that can cause the same error code (AWS does not say
            # which), the one above first.
            try(join("", [for p in slice(c.candidates, 1, length(c.candidates)) :
              "\n    or: account ${p.account}, ${p.statement} (${p.policy}, ${p.resource})"
            ]), ""),
          ]) if try(c.status, "") == "failed"
        ],
        try(jsondecode(data.aws_lambda_invocation.preflight.result).ok, null) == true || length([
          for c in jsondecode(data.aws_lambda_invocation.preflight.result).checks : c if try(c.status, "") == "warning"
        ]) == 0 ? [] : ["Warnings:"],
        [for c in jsondecode(data.aws_lambda_invocation.preflight.result).checks :
          join("", [
            try("- ${c.name}", "- ?"),
            try(": ${c.detail}", ""),
            try("\n    fix: ${c.fix}", ""),
          ]) if try(c.status, "") == "warning"
        ],
    ))
  }
}
