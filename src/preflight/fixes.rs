//! Where each permission the preflight needs is granted: the statement (its
//! Sid), the policy template under `infra/` and the Terraform resource of the
//! example root (`infra/examples/two-accounts`) that renders it. A unit test
//! checks that each of them exists in `infra/`, so a rename there fails here.

use serde::Serialize;

/// The account a statement belongs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    /// The function's account: the execution role.
    Lambda,
    /// The bucket's account: the target role, the bucket policy, the KMS key.
    Bucket,
}

/// One statement that grants (or, for a deny, enforces) what a check needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Statement {
    pub side: Side,
    /// The statement's `Sid` in the template.
    pub sid: &'static str,
    /// The template, relative to the repository.
    pub policy: &'static str,
    /// The resource of the example root that renders it.
    pub resource: &'static str,
}

/// A statement placed in an account, as the answer shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    pub account: String,
    pub statement: &'static str,
    pub policy: &'static str,
    pub resource: &'static str,
}

impl Statement {
    pub(super) fn place(&self, lambda_account: &str, bucket_account: &str) -> Place {
        Place {
            account: match self.side {
                Side::Lambda => lambda_account,
                Side::Bucket => bucket_account,
            }
            .to_owned(),
            statement: self.sid,
            policy: self.policy,
            resource: self.resource,
        }
    }
}

/// The target role's trust: exactly the execution role, with the ExternalId.
pub(super) const TARGET_TRUST: Statement = Statement {
    side: Side::Bucket,
    sid: "OnlyTheWriterExecutionRoleWithExternalId",
    policy: "infra/modules/target-bucket/policies/target-trust.json.tftpl",
    resource: "module.target_bucket.aws_iam_role.this",
};

/// The execution role may assume exactly the target role.
pub(super) const EXECUTION_ASSUME: Statement = Statement {
    side: Side::Lambda,
    sid: "AssumeExactlyTheTargetRole",
    policy: "infra/modules/writer-function/policies/execution-assume-target.json.tftpl",
    resource: "module.writer_function.aws_iam_role_policy.execution[\"assume-target-role\"]",
};

/// The target role's s3:PutObject under the prefix.
pub(super) const TARGET_PUT: Statement = Statement {
    side: Side::Bucket,
    sid: "PutObjectsUnderThePrefixOnly",
    policy: "infra/modules/target-bucket/policies/target-write.json.tftpl",
    resource: "module.target_bucket.aws_iam_role_policy.this",
};

/// The target role's s3:GetObject under the prefix (HEAD for the identity checks).
pub(super) const TARGET_HEAD: Statement = Statement {
    side: Side::Bucket,
    sid: "HeadOwnObjectsForIdentityChecksAndBeforeOverwrite",
    policy: "infra/modules/target-bucket/policies/target-write.json.tftpl",
    resource: "module.target_bucket.aws_iam_role_policy.this",
};

/// The target role's kms:GenerateDataKey through S3 for this bucket.
pub(super) const TARGET_KMS: Statement = Statement {
    side: Side::Bucket,
    sid: "EncryptWithTheBucketKeyViaS3ForThisBucketOnly",
    policy: "infra/modules/target-bucket/policies/target-kms.json.tftpl",
    resource: "module.target_bucket.aws_iam_role_policy.this",
};

/// The key policy's grant to the target role (a key the module creates; for an
/// existing key, its policy needs the same statement: the `kms_key_policy_statement` output).
pub(super) const KEY_POLICY: Statement = Statement {
    side: Side::Bucket,
    sid: "TargetRoleEncryptsViaS3ForThisBucketOnly",
    policy: "infra/modules/target-bucket/policies/kms-key-policy-target-role.json.tftpl",
    resource: "module.target_bucket.aws_kms_key.this[0]",
};

/// The bucket policy's deny of writes under the prefix by anyone but the target role.
pub(super) const PREFIX_WRITERS: Statement = Statement {
    side: Side::Bucket,
    sid: "DenyObjectWritesUnderThePrefixByOtherPrincipals",
    policy: "infra/modules/target-bucket/policies/bucket-policy-prefix-writers.json.tftpl",
    resource: "module.target_bucket.aws_s3_bucket_policy.this[0]",
};

/// The bucket policy's deny of PUTs without `If-None-Match` / `If-Match` under the prefix.
pub(super) const DENY_UNCONDITIONAL: Statement = Statement {
    side: Side::Bucket,
    sid: "DenyUnconditionalWritesUnderThePrefix",
    policy: "infra/modules/target-bucket/policies/bucket-policy.json.tftpl",
    resource: "module.target_bucket.aws_s3_bucket_policy.this[0]",
};

/// The execution role's s3:GetObject under the SES raw-mail prefix.
pub(super) const RAW_MAIL_READ: Statement = Statement {
    side: Side::Lambda,
    sid: "ReadSesRawMailUnderThePrefixOnly",
    policy: "infra/modules/writer-function/policies/execution-read-raw-mail.json.tftpl",
    resource: "module.writer_function.aws_iam_role_policy.execution[\"read-ses-raw-mail\"]",
};

/// Every statement a fix can cite (the test below checks each against `infra/`).
#[cfg(test)]
const ALL: [Statement; 9] = [
    TARGET_TRUST,
    EXECUTION_ASSUME,
    TARGET_PUT,
    TARGET_HEAD,
    TARGET_KMS,
    KEY_POLICY,
    PREFIX_WRITERS,
    DENY_UNCONDITIONAL,
    RAW_MAIL_READ,
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The `.tf` text of a module of the example root, by its module name.
    fn module_text(module: &str) -> String {
        let root = read(&repo().join("infra/examples/two-accounts/main.tf"));
        let header = format!("module \"{module}\" {{");
        let at = root
            .find(&header)
            .unwrap_or_else(|| panic!("no {header} in the example root"));
        let source_line = root[at..]
            .lines()
            .find(|l| l.trim_start().starts_with("source"))
            .expect("the module's source");
        let source = source_line
            .split('"')
            .nth(1)
            .expect("a quoted module source");
        let dir = repo().join("infra/examples/two-accounts").join(source);
        let mut text = String::new();
        for entry in std::fs::read_dir(&dir).expect("the module directory") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                text.push_str(&read(&path));
            }
        }
        text
    }

    #[test]
    fn every_cited_policy_sid_and_resource_exists_in_infra() {
        for statement in ALL {
            let policy = read(&repo().join(statement.policy));
            assert!(
                policy.contains(&format!("\"Sid\": \"{}\"", statement.sid)),
                "{} has no statement {}",
                statement.policy,
                statement.sid
            );
            assert!(
                statement.policy.starts_with(match statement.side {
                    Side::Lambda => "infra/modules/writer-function/policies/",
                    Side::Bucket => "infra/modules/target-bucket/policies/",
                }),
                "{} is in the other account's module",
                statement.policy
            );
            // module.<name>.<type>.<name>[<index>]
            let address = statement.resource;
            let rest = address.strip_prefix("module.").expect(address);
            let (module, rest) = rest.split_once('.').expect(address);
            let (kind, rest) = rest.split_once('.').expect(address);
            let (name, index) = match rest.split_once('[') {
                Some((name, index)) => (name, Some(index.trim_end_matches(']'))),
                None => (rest, None),
            };
            let text = module_text(module);
            assert!(
                text.contains(&format!("resource \"{kind}\" \"{name}\"")),
                "{address}: no resource {kind}.{name} in module {module}"
            );
            let file = Path::new(statement.policy)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            assert!(
                text.contains(&format!("/{file}\"")),
                "{address}: module {module} does not render {file}"
            );
            if let Some(index) = index {
                // `[0]` of a counted resource, or a `for_each` key that the module names.
                assert!(
                    index == "0" || text.contains(index),
                    "{address}: module {module} has no key {index}"
                );
            }
        }
    }

    #[test]
    fn the_checker_itself_sees_a_missing_sid() {
        // Guards the test above: a Sid that is not in the template is not found.
        let policy = read(&repo().join(TARGET_HEAD.policy));
        assert!(!policy.contains("\"Sid\": \"HeadOwnObjectsForIdentityChecks\""));
        assert!(policy.contains(&format!("\"Sid\": \"{}\"", TARGET_HEAD.sid)));
    }
}
