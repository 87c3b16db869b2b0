################################################################################
# create_bucket and manage_bucket_settings: changing them destroys nothing
################################################################################
#
# Both flags set the count of resources (the bucket; its ownership controls, public access
# block, versioning, encryption, lifecycle and policy). Turning one off would plan the deletion
# of those objects: the bucket policy and public access block of a bucket that keeps its data,
# and an empty bucket itself; turning manage_bucket_settings on replaces an existing bucket's
# whole policy and lifecycle configuration. Terraform cannot turn a count change into "forget":
# a `removed` block needs the resource gone from the configuration, which a module's resource
# never is. So the flags are latched as first applied, and a plan that changes one stops here,
# before anything is deleted or replaced. The module README ("Changing create_bucket or
# manage_bucket_settings") gives the ways on: hand the objects over (root-level `moved` +
# `removed { lifecycle { destroy = false } }` blocks) or change them on purpose, each with
# `terraform apply -replace=module.<name>.terraform_data.bucket_ownership` (re-latches).

resource "terraform_data" "bucket_ownership" {
  input = {
    create_bucket          = var.create_bucket
    manage_bucket_settings = local.manage_bucket_settings
  }

  lifecycle {
    # The prior value stays in state: the flags as this module last took the objects on.
    ignore_changes = [input]

    postcondition {
      condition     = self.output.create_bucket == var.create_bucket && self.output.manage_bucket_settings == local.manage_bucket_settings
      error_message = "create_bucket/manage_bucket_settings changed from ${jsonencode(self.output)} to ${jsonencode({ create_bucket = var.create_bucket, manage_bucket_settings = local.manage_bucket_settings })}. This plan stops here: turning a flag off would delete the bucket policy, public access block and the other settings (and an empty bucket); turning manage_bucket_settings on replaces the bucket's whole policy and lifecycle configuration. Nothing was changed. To stop managing them but keep them, add the root-level moved + removed (destroy = false) blocks from the target-bucket README. Then, or to make the change on purpose, apply once with -replace='module.<this module>.terraform_data.bucket_ownership'."
    }
  }
}
