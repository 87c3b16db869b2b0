//! Configuration from environment variables, validated once at start.
//!
//! Every problem is collected (not just the first), and each message names the
//! variable, what is wrong with its value and how to fix it, so one failed cold
//! start is enough to repair a deployment. The function never starts half-configured.

use std::fmt;
use std::time::Duration;

mod delivery;
mod reader;
mod rules;

pub use delivery::{ContentEncoding, DEFAULT_MAX_BATCH_BYTES, Delivery, ObjectMode};
pub use rules::validate_bucket_name;

use reader::Reader;
use rules::{
    is_region, session_name_from, validate_external_id, validate_metrics_namespace,
    validate_session_name,
};

use crate::arn::{KmsKeyArn, RoleArn, is_account_id};
use crate::keys::{KeyPrefix, KeyTemplate};
use crate::telemetry::LogSettings;

/// Largest session a chained role may get: AssumeRole called with role
/// credentials (the Lambda execution role's) is capped at one hour by STS.
pub const MAX_CHAINED_SESSION_SECONDS: u64 = 3600;
/// Smallest session STS grants.
pub const MIN_SESSION_SECONDS: u64 = 900;
/// `MAX_CONCURRENT_WRITES` when unset: SQS's default batch size, so a default
/// SQS batch is written in one round of PUTs. With 8, its last two records waited
/// for the first responses: one more round of S3 latency, and 10% more CPU per
/// record in `make bench` (benches/LEVERS.md).
pub const DEFAULT_MAX_CONCURRENT_WRITES: usize = 10;
const MAX_MAX_CONCURRENT_WRITES: usize = 64;
/// Lambda's synchronous payload limit; a body larger than this can't have arrived inline anyway.
pub const DEFAULT_MAX_BODY_BYTES: usize = 6 * MIB;
const MIB: usize = 1024 * 1024;
const DEFAULT_KEY_PREFIX: &str = "incoming/";
const DEFAULT_PART_SIZE_MIB: usize = 8;
/// S3's smallest part (all but the last).
const MIN_PART_SIZE_MIB: usize = 5;
/// Bounds the one part the function holds in memory.
const MAX_PART_SIZE_MIB: usize = 512;
/// Parts of one multipart copy uploaded at once: memory is this many parts.
const DEFAULT_MAX_CONCURRENT_PARTS: usize = 4;
const MAX_MAX_CONCURRENT_PARTS: usize = 16;
const DEFAULT_SESSION_NAME: &str = "cross-account-s3-writer";

/// The validated configuration of the function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Role in the bucket account that the function assumes.
    pub target_role_arn: RoleArn,
    /// Bucket in the bucket account.
    pub target_bucket: String,
    /// `sts:ExternalId` the target role's trust policy requires.
    pub external_id: Option<String>,
    /// Account that must own the bucket (`x-amz-expected-bucket-owner`).
    pub bucket_owner: String,
    /// Region of the bucket; the S3 client must use it (the SDK does not follow redirects).
    pub target_region: Option<String>,
    /// Every key the function writes starts with this; and the `KEY_TEMPLATE`, if set.
    pub key_prefix: KeyPrefix,
    /// SSE-KMS key (full ARN) to encrypt objects with, using an S3 Bucket Key.
    pub sse_kms_key_arn: Option<KmsKeyArn>,
    /// `RoleSessionName` of the assumed-role session (shows in the bucket account's CloudTrail).
    pub role_session_name: String,
    /// Lifetime of the assumed-role session.
    pub role_session_length: Duration,
    /// Bound on concurrent PUTs within one invocation.
    pub max_concurrent_writes: usize,
    /// Bound on an inline body (HTTP, direct invoke, queue messages); larger is refused (HTTP 413).
    pub max_body_bytes: usize,
    /// Path-style S3 addressing: needed by emulators on loopback endpoints.
    pub force_path_style: bool,
    /// Copies up to this size take one PUT; larger ones a multipart upload in
    /// parts of this size (`PART_SIZE_MIB`).
    pub part_size: usize,
    /// Parts of one multipart copy in flight at once, and so in memory (`MAX_CONCURRENT_PARTS`).
    pub max_concurrent_parts: usize,
    /// Where an SES receipt rule's S3 action stored the raw mail (bucket in the lambda account).
    pub ses_raw_mail: Option<SesRawMail>,
    /// Per-invocation EMF metrics (`METRICS`, `METRICS_NAMESPACE`); `None` when off.
    pub metrics: Option<MetricsConfig>,
    /// Batched objects and compression (`OBJECT_MODE`, `BATCH_FORMAT`, `MAX_BATCH_BYTES`, `CONTENT_ENCODING`).
    pub delivery: Delivery,
    /// What an S3 notification carried by SQS, SNS or EventBridge becomes
    /// (`S3_NOTIFICATIONS_IN_MESSAGES`).
    pub s3_notifications: S3Notifications,
}

/// `S3_NOTIFICATIONS_IN_MESSAGES`: an S3 notification that arrives in an SQS
/// message, an SNS notification (or both) or as an EventBridge `aws.s3` event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum S3Notifications {
    /// Copy the object it names, exactly as a direct S3 notification does.
    #[default]
    Copy,
    /// Store the message (or event) itself, as any other message.
    Store,
}

/// Where metrics go, from configuration (`METRICS`, `METRICS_NAMESPACE`);
/// `crate::metrics` writes the documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    pub namespace: String,
    pub function_name: String,
    /// Lambda's log format and level: in JSON format each document also
    /// carries the `level` and `timestamp` Lambda's log-level filter needs
    /// to keep it ([`LogSettings::stamp`]).
    pub log: LogSettings,
}

/// Location of raw mail written by an SES receipt rule's S3 action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SesRawMail {
    pub bucket: String,
    pub prefix: String,
}

/// One configuration problem: which variable, what is wrong, how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub variable: &'static str,
    pub fault: String,
    pub fix: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; fix: {}", self.variable, self.fault, self.fix)
    }
}

/// All configuration problems found at start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration ({} problem", self.problems.len())?;
        if self.problems.len() != 1 {
            write!(f, "s")?;
        }
        write!(f, "):")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };

        let target_role_arn = r.required(
            "TARGET_ROLE_ARN",
            "set it to the ARN of the role in the bucket account, e.g. arn:aws:iam::222222222222:role/writer-target",
            RoleArn::parse,
            "use the form arn:<partition>:iam::<12-digit account>:role/<optional path/><name>",
        );
        let target_bucket = r.required(
            "TARGET_BUCKET",
            "set it to the name of the bucket in the bucket account",
            |v| validate_bucket_name(v).map(|()| v.to_owned()),
            "give the bucket's name only (no s3:// or ARN): 3-63 lowercase letters, digits, dots and hyphens",
        );

        // Its value is not repeated in the problem: it is the trust policy's shared secret.
        let external_id = r.get("TARGET_EXTERNAL_ID");
        if let Some(v) = &external_id
            && let Err(fault) = validate_external_id(v)
        {
            r.problem(
                "TARGET_EXTERNAL_ID",
                fault,
                "use 2-1224 characters of letters, digits and +=,.@:/- exactly as in the target role's trust policy",
            );
        }

        let bucket_owner = match r.get("TARGET_BUCKET_OWNER") {
            Some(v) if is_account_id(&v) => Some(v),
            Some(v) => {
                r.problem(
                    "TARGET_BUCKET_OWNER",
                    format!("{v:?} is not a 12-digit AWS account ID"),
                    "set it to the bucket account's ID, or unset it to use the account in TARGET_ROLE_ARN",
                );
                None
            }
            None => target_role_arn.as_ref().map(|arn| arn.account().to_owned()),
        };

        let target_region = r
            .get("TARGET_REGION")
            .or_else(|| r.get("AWS_REGION"))
            .or_else(|| r.get("AWS_DEFAULT_REGION"));
        if let Some(region) = &target_region
            && !is_region(region)
        {
            r.problem(
                "TARGET_REGION",
                format!("{region:?} is not an AWS region name"),
                "use the bucket's region, e.g. eu-west-1",
            );
        }

        let key_prefix = match KeyPrefix::parse(
            r.get("KEY_PREFIX").as_deref().unwrap_or(DEFAULT_KEY_PREFIX),
        ) {
            Ok(prefix) => Some(prefix),
            Err(fault) => {
                r.problem(
                    "KEY_PREFIX",
                    fault.to_string(),
                    format!(
                        "use a relative prefix ending in '/', e.g. {DEFAULT_KEY_PREFIX}, matching the prefix the target role may write"
                    ),
                );
                None
            }
        };
        let key_template = r.parsed(
            "KEY_TEMPLATE",
            KeyTemplate::parse,
            "e.g. {source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}, or unset it for the per-source layout",
        );
        let key_prefix = match (key_prefix, key_template) {
            (Some(prefix), Some(template)) => Some(prefix.with_template(template)),
            (prefix, _) => prefix,
        };

        let sse_kms_key_arn = r.parsed(
            "SSE_KMS_KEY_ARN",
            KmsKeyArn::parse,
            "use the key's full ARN arn:<partition>:kms:<region>:<account>:key/<key id> (an alias is not accepted cross-account)",
        );

        let role_session_name = match r.get("ROLE_SESSION_NAME") {
            Some(v) => {
                if let Err(fault) = validate_session_name(&v) {
                    r.problem(
                        "ROLE_SESSION_NAME",
                        format!("{v:?} {fault}"),
                        "use 2-64 characters of letters, digits and +=,.@-",
                    );
                }
                v
            }
            None => r
                .get("AWS_LAMBDA_FUNCTION_NAME")
                .map(|name| session_name_from(&name))
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        };

        let role_session_length = Duration::from_secs(r.number(
            "ROLE_SESSION_SECONDS",
            MIN_SESSION_SECONDS..=MAX_CHAINED_SESSION_SECONDS,
            MAX_CHAINED_SESSION_SECONDS,
            "seconds",
            " (role chaining caps a session at one hour)",
        ));
        let max_concurrent_writes = r.number(
            "MAX_CONCURRENT_WRITES",
            1..=MAX_MAX_CONCURRENT_WRITES,
            DEFAULT_MAX_CONCURRENT_WRITES,
            "",
            "",
        );
        let max_body_bytes = r.number(
            "MAX_BODY_BYTES",
            1..=usize::MAX,
            DEFAULT_MAX_BODY_BYTES,
            "bytes",
            "",
        );
        let part_size_mib = r.number(
            "PART_SIZE_MIB",
            MIN_PART_SIZE_MIB..=MAX_PART_SIZE_MIB,
            DEFAULT_PART_SIZE_MIB,
            "MiB",
            " (the least is S3's smallest part)",
        );
        let max_concurrent_parts = r.number(
            "MAX_CONCURRENT_PARTS",
            1..=MAX_MAX_CONCURRENT_PARTS,
            DEFAULT_MAX_CONCURRENT_PARTS,
            "",
            " (parts of one copy held in memory at once)",
        );

        let endpoint_overridden =
            r.get("AWS_ENDPOINT_URL_S3").is_some() || r.get("AWS_ENDPOINT_URL").is_some();
        let force_path_style = r.choice(
            "S3_FORCE_PATH_STYLE",
            &[("true", true), ("1", true), ("false", false), ("0", false)],
            endpoint_overridden,
            "is not a boolean",
            "use true or false",
        );

        let ses_raw_mail = match (r.get("SES_RAW_MAIL_BUCKET"), r.get("SES_RAW_MAIL_PREFIX")) {
            (Some(bucket), prefix) => {
                if let Err(fault) = validate_bucket_name(&bucket) {
                    r.problem(
                        "SES_RAW_MAIL_BUCKET",
                        format!("{bucket:?} {fault}"),
                        "give the name of the bucket the SES receipt rule writes to",
                    );
                }
                Some(SesRawMail {
                    bucket,
                    prefix: prefix.unwrap_or_default(),
                })
            }
            (None, Some(_)) => {
                r.problem(
                    "SES_RAW_MAIL_PREFIX",
                    "is set without SES_RAW_MAIL_BUCKET",
                    "set SES_RAW_MAIL_BUCKET too, or unset the prefix",
                );
                None
            }
            (None, None) => None,
        };

        let function_name = r
            .get("AWS_LAMBDA_FUNCTION_NAME")
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
        let metrics_on = r.choice(
            "METRICS",
            &[
                ("on", true),
                ("true", true),
                ("1", true),
                ("off", false),
                ("false", false),
                ("0", false),
            ],
            true,
            "is not on or off",
            "use on or off, or unset it for on",
        );
        let namespace = r
            .get("METRICS_NAMESPACE")
            .unwrap_or_else(|| function_name.clone());
        if let Err(fault) = validate_metrics_namespace(&namespace) {
            r.problem(
                "METRICS_NAMESPACE",
                format!("{namespace:?} {fault}"),
                "use 1-255 characters of letters, digits and .-_/#: not starting with AWS/, \
                 or unset it for the function's name",
            );
        }
        let metrics = metrics_on.then(|| MetricsConfig {
            namespace,
            function_name,
            log: LogSettings::from_lookup(&r.lookup),
        });
        let delivery = Delivery::read(&mut r);
        let s3_notifications = r.choice(
            "S3_NOTIFICATIONS_IN_MESSAGES",
            &[
                ("copy", S3Notifications::Copy),
                ("store", S3Notifications::Store),
            ],
            S3Notifications::Copy,
            "is not copy or store",
            "use copy (copy the object the notification names) or store (store the message itself)",
        );

        match (target_role_arn, target_bucket, bucket_owner, key_prefix) {
            (Some(target_role_arn), Some(target_bucket), Some(bucket_owner), Some(key_prefix))
                if r.problems.is_empty() =>
            {
                Ok(Config {
                    target_role_arn,
                    target_bucket,
                    external_id,
                    bucket_owner,
                    target_region,
                    key_prefix,
                    sse_kms_key_arn,
                    role_session_name,
                    role_session_length,
                    max_concurrent_writes,
                    max_body_bytes,
                    force_path_style,
                    part_size: part_size_mib * MIB,
                    max_concurrent_parts,
                    ses_raw_mail,
                    metrics,
                    delivery,
                    s3_notifications,
                })
            }
            _ => Err(ConfigError {
                problems: r.problems,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const MINIMAL: &[(&str, &str)] = &[
        (
            "TARGET_ROLE_ARN",
            "arn:aws:iam::222222222222:role/writer-target",
        ),
        ("TARGET_BUCKET", "writer-target-222222222222"),
        ("AWS_REGION", "eu-west-1"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = MINIMAL.to_vec();
        vars.extend_from_slice(extra);
        vars
    }

    fn problem_variables(err: ConfigError) -> Vec<&'static str> {
        err.problems.iter().map(|p| p.variable).collect()
    }

    #[test]
    fn metrics_default_on_under_the_function_name() {
        let c = config(&with(&[("AWS_LAMBDA_FUNCTION_NAME", "writer-prod")])).unwrap();
        let m = c.metrics.expect("on by default");
        assert_eq!(
            (m.namespace.as_str(), m.function_name.as_str()),
            ("writer-prod", "writer-prod")
        );
        let c = config(&with(&[("METRICS_NAMESPACE", "Team/Writer")])).unwrap();
        assert_eq!(c.metrics.unwrap().namespace, "Team/Writer");
        let c = config(&with(&[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
        ]))
        .unwrap();
        assert_eq!(
            c.metrics.unwrap().log,
            crate::telemetry::LogSettings {
                json: true,
                level: crate::telemetry::LogLevel::Error
            },
            "metric lines are stamped for Lambda's log-level filter"
        );
        assert_eq!(config(&with(&[("METRICS", "off")])).unwrap().metrics, None);
        for (var, value) in [
            ("METRICS", "maybe"),
            ("METRICS_NAMESPACE", "AWS/Lambda"),
            ("METRICS_NAMESPACE", "a b"),
        ] {
            assert_eq!(
                problem_variables(config(&with(&[(var, value)])).unwrap_err()),
                vec![var],
                "{value}"
            );
        }
    }

    #[test]
    fn minimal_configuration_gets_documented_defaults() {
        let c = config(MINIMAL).unwrap();
        assert_eq!(
            c.bucket_owner, "222222222222",
            "owner defaults to the role's account"
        );
        assert_eq!(c.target_region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.key_prefix.as_str(), "incoming/");
        assert_eq!(c.role_session_length, Duration::from_secs(3600));
        assert_eq!(c.max_concurrent_writes, 10);
        assert_eq!(c.role_session_name, "cross-account-s3-writer");
        assert!(!c.force_path_style);
        assert_eq!(c.external_id, None);
        assert_eq!(c.sse_kms_key_arn, None);
    }

    #[test]
    fn explicit_values_are_used() {
        let c = config(&with(&[
            ("TARGET_EXTERNAL_ID", "ext-123"),
            ("TARGET_BUCKET_OWNER", "333333333333"),
            ("TARGET_REGION", "us-west-2"),
            ("KEY_PREFIX", "a/b/"),
            (
                "SSE_KMS_KEY_ARN",
                "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
            ("ROLE_SESSION_NAME", "my-session"),
            ("ROLE_SESSION_SECONDS", "900"),
            ("MAX_CONCURRENT_WRITES", "3"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ]))
        .unwrap();
        assert_eq!(c.external_id.as_deref(), Some("ext-123"));
        assert_eq!(c.bucket_owner, "333333333333");
        assert_eq!(c.target_region.as_deref(), Some("us-west-2"));
        assert_eq!(c.key_prefix.as_str(), "a/b/");
        assert!(c.sse_kms_key_arn.is_some());
        assert_eq!(c.role_session_name, "my-session");
        assert_eq!(c.role_session_length, Duration::from_secs(900));
        assert_eq!(c.max_concurrent_writes, 3);
        assert!(
            c.force_path_style,
            "an endpoint override implies path-style addressing"
        );
    }

    #[test]
    fn session_name_defaults_to_the_function_name_made_valid() {
        let c = config(&with(&[("AWS_LAMBDA_FUNCTION_NAME", "writer:prod")])).unwrap();
        assert_eq!(c.role_session_name, "writer-prod");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_variable_and_fix() {
        let err = config(&[
            ("TARGET_ROLE_ARN", "arn:aws:iam::123:user/bob"),
            ("TARGET_BUCKET", "Bad_Bucket"),
            ("ROLE_SESSION_SECONDS", "7200"),
            ("MAX_CONCURRENT_WRITES", "zero"),
            ("KEY_PREFIX", "../up/"),
            ("SSE_KMS_KEY_ARN", "alias/my-key"),
            ("TARGET_EXTERNAL_ID", "has space"),
        ])
        .unwrap_err();
        let message = err.to_string();
        assert_eq!(
            problem_variables(err),
            [
                "TARGET_ROLE_ARN",
                "TARGET_BUCKET",
                "TARGET_EXTERNAL_ID",
                "KEY_PREFIX",
                "SSE_KMS_KEY_ARN",
                "ROLE_SESSION_SECONDS",
                "MAX_CONCURRENT_WRITES"
            ]
        );
        assert!(
            message.contains("role chaining caps a session at one hour"),
            "{message}"
        );
        assert!(message.contains("fix:"), "{message}");
    }

    #[test]
    fn missing_required_variables_are_named() {
        let err = config(&[]).unwrap_err();
        assert_eq!(problem_variables(err), ["TARGET_ROLE_ARN", "TARGET_BUCKET"]);
    }

    #[test]
    fn bucket_owner_must_be_an_account_id() {
        let err = config(&with(&[("TARGET_BUCKET_OWNER", "22222222222x")])).unwrap_err();
        assert_eq!(problem_variables(err), ["TARGET_BUCKET_OWNER"]);
    }

    #[test]
    fn session_length_bounds_are_inclusive() {
        assert!(config(&with(&[("ROLE_SESSION_SECONDS", "3600")])).is_ok());
        assert!(config(&with(&[("ROLE_SESSION_SECONDS", "899")])).is_err());
        assert!(config(&with(&[("ROLE_SESSION_SECONDS", "3601")])).is_err());
    }

    #[test]
    fn bucket_naming_rules() {
        for ok in ["abc", "my.bucket-1", "a1b2c3"] {
            assert_eq!(validate_bucket_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "ABC",
            "s3://abc",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn path_style_can_be_forced_either_way() {
        assert!(
            config(&with(&[("S3_FORCE_PATH_STYLE", "true")]))
                .unwrap()
                .force_path_style
        );
        let c = config(&with(&[
            ("S3_FORCE_PATH_STYLE", "false"),
            ("AWS_ENDPOINT_URL", "http://x"),
        ]))
        .unwrap();
        assert!(!c.force_path_style);
        assert!(config(&with(&[("S3_FORCE_PATH_STYLE", "maybe")])).is_err());
    }

    #[test]
    fn ses_raw_mail_location() {
        let c = config(&with(&[
            ("SES_RAW_MAIL_BUCKET", "mail-bucket"),
            ("SES_RAW_MAIL_PREFIX", "raw/"),
        ]))
        .unwrap();
        assert_eq!(
            c.ses_raw_mail,
            Some(SesRawMail {
                bucket: "mail-bucket".into(),
                prefix: "raw/".into()
            })
        );
        assert!(config(&with(&[("SES_RAW_MAIL_PREFIX", "raw/")])).is_err());
    }

    #[test]
    fn s3_notifications_in_messages_are_copied_unless_stored() {
        assert_eq!(
            config(&with(&[])).unwrap().s3_notifications,
            S3Notifications::Copy
        );
        for (value, want) in [
            ("copy", S3Notifications::Copy),
            ("STORE", S3Notifications::Store),
        ] {
            let c = config(&with(&[("S3_NOTIFICATIONS_IN_MESSAGES", value)])).unwrap();
            assert_eq!(c.s3_notifications, want, "{value}");
        }
        let err = config(&with(&[("S3_NOTIFICATIONS_IN_MESSAGES", "delete")])).unwrap_err();
        assert!(
            err.problems
                .iter()
                .any(|p| p.variable == "S3_NOTIFICATIONS_IN_MESSAGES"),
            "{err:?}"
        );
    }

    #[test]
    fn key_template_is_validated_at_start_naming_the_token() {
        let c = config(&with(&[(
            "KEY_TEMPLATE",
            "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{id}",
        )]))
        .unwrap();
        assert_eq!(
            c.key_prefix.template().map(ToString::to_string).as_deref(),
            Some("{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{id}")
        );
        assert_eq!(config(MINIMAL).unwrap().key_prefix.template(), None);

        for (template, named) in [
            ("{source}/{source_name}/{date}/{id}", "{date}"),
            ("{source}/{source_name}/{yyyy}", "{id}"),
            ("/{source}/{source_name}/{id}", "KEY_PREFIX"),
        ] {
            let err = config(&with(&[("KEY_TEMPLATE", template)])).unwrap_err();
            assert_eq!(
                problem_variables(err.clone()),
                ["KEY_TEMPLATE"],
                "{template}"
            );
            assert!(err.to_string().contains(named), "{template}: {err}");
        }
    }

    #[test]
    fn number_hints_take_range_and_default_from_the_constants() {
        let err = config(&with(&[
            ("MAX_CONCURRENT_WRITES", "0"),
            ("PART_SIZE_MIB", "x"),
            ("ROLE_SESSION_SECONDS", "7200"),
        ]))
        .unwrap_err();
        let fix = |variable: &str| {
            let problem = err.problems.iter().find(|p| p.variable == variable);
            problem.expect(variable).fix.clone()
        };
        assert_eq!(
            fix("MAX_CONCURRENT_WRITES"),
            format!(
                "use a number from 1 to {MAX_MAX_CONCURRENT_WRITES}, or unset it for {DEFAULT_MAX_CONCURRENT_WRITES}"
            )
        );
        assert_eq!(
            fix("PART_SIZE_MIB"),
            format!(
                "use a number of MiB from {MIN_PART_SIZE_MIB} to {MAX_PART_SIZE_MIB}, or unset it for {DEFAULT_PART_SIZE_MIB}"
            )
        );
        assert!(fix("ROLE_SESSION_SECONDS").contains(&format!(
            "from {MIN_SESSION_SECONDS} to {MAX_CHAINED_SESSION_SECONDS}"
        )));
    }
}
