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
pub mod settings;

pub use delivery::{ContentEncoding, DEFAULT_MAX_BATCH_BYTES, Delivery, ObjectMode};
pub use rules::{
    Characters, PREFIX_PUNCTUATION, RESERVED_BUCKET_PREFIXES, RESERVED_BUCKET_SUFFIXES,
    validate_bucket_name,
};

use delivery::{MAX_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES};
use reader::Reader;
use rules::{
    is_region, session_name_from, validate_external_id, validate_kms_key_parts,
    validate_metrics_namespace, validate_prefix_characters, validate_raw_mail_prefix,
    validate_role_name, validate_session_name,
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
    /// Empty values count as unset. Each setting is read by its definition in [`settings`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };
        let target_role_arn = r.parsed(&settings::TARGET_ROLE_ARN, |v| {
            validate_role_name(v).and_then(|()| RoleArn::parse(v))
        });
        let target_bucket = r.parsed(&settings::TARGET_BUCKET, |v| {
            validate_bucket_name(v).map(|()| v.to_owned())
        });
        let external_id = r.parsed(&settings::TARGET_EXTERNAL_ID, |v| {
            validate_external_id(v).map(|()| v.to_owned())
        });
        let bucket_owner = r
            .parsed(&settings::TARGET_BUCKET_OWNER, |v| {
                is_account_id(v)
                    .then(|| v.to_owned())
                    .ok_or("is not a 12-digit AWS account ID")
            })
            .or_else(|| target_role_arn.as_ref().map(|arn| arn.account().to_owned()));
        // Checked under TARGET_REGION's name, whichever variable it came from.
        let target_region = ["TARGET_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]
            .into_iter()
            .find_map(|name| r.get(name));
        if let Some(v) = target_region.as_ref().filter(|v| !is_region(v)) {
            r.problem(
                settings::TARGET_REGION.name,
                format!("{v:?} is not an AWS region name"),
                settings::TARGET_REGION.fix(),
            );
        }
        let key_prefix = r.parsed(&settings::KEY_PREFIX, |v| {
            validate_prefix_characters(v)
                .and_then(|()| KeyPrefix::parse(v).map_err(|e| e.to_string()))
        });
        let key_template = r.parsed(&settings::KEY_TEMPLATE, KeyTemplate::parse);
        let key_prefix = match (key_prefix, key_template) {
            (Some(prefix), Some(template)) => Some(prefix.with_template(template)),
            (prefix, _) => prefix,
        };
        let sse_kms_key_arn = r.parsed(&settings::SSE_KMS_KEY_ARN, |v| {
            KmsKeyArn::parse(v).and_then(|arn| validate_kms_key_parts(v).map(|()| arn))
        });
        let role_session_name = r
            .parsed(&settings::ROLE_SESSION_NAME, |v| {
                validate_session_name(v).map(|()| v.to_owned())
            })
            .unwrap_or_else(|| {
                r.get("AWS_LAMBDA_FUNCTION_NAME").map_or_else(
                    || DEFAULT_SESSION_NAME.to_owned(),
                    |n| session_name_from(&n),
                )
            });
        let role_session_length = Duration::from_secs(r.number(&settings::ROLE_SESSION_SECONDS));
        let max_concurrent_writes = r.number(&settings::MAX_CONCURRENT_WRITES) as usize;
        let max_body_bytes = r.number(&settings::MAX_BODY_BYTES) as usize;
        let part_size = r.number(&settings::PART_SIZE_MIB) as usize * MIB;
        let max_concurrent_parts = r.number(&settings::MAX_CONCURRENT_PARTS) as usize;
        let endpoint_overridden =
            r.get("AWS_ENDPOINT_URL_S3").is_some() || r.get("AWS_ENDPOINT_URL").is_some();
        let force_path_style = r.choice_or(
            &settings::S3_FORCE_PATH_STYLE,
            usize::from(!endpoint_overridden),
        ) == 0;
        let ses_raw_mail = SesRawMail::read(&mut r);
        let metrics = MetricsConfig::read(&mut r);
        let delivery = Delivery::read(&mut r);
        let s3_notifications = [S3Notifications::Copy, S3Notifications::Store]
            [r.choice(&settings::S3_NOTIFICATIONS_IN_MESSAGES)];

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
                    part_size,
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

impl SesRawMail {
    fn read(r: &mut Reader<impl Fn(&str) -> Option<String>>) -> Option<Self> {
        let bucket_set = r.get(settings::SES_RAW_MAIL_BUCKET.name).is_some();
        let bucket = r.parsed(&settings::SES_RAW_MAIL_BUCKET, |v| {
            validate_bucket_name(v).map(|()| v.to_owned())
        });
        let prefix = r.parsed(&settings::SES_RAW_MAIL_PREFIX, |v| {
            validate_raw_mail_prefix(v).map(|()| v.to_owned())
        });
        if !bucket_set && r.get(settings::SES_RAW_MAIL_PREFIX.name).is_some() {
            r.problem(
                settings::SES_RAW_MAIL_PREFIX.name,
                "is set without SES_RAW_MAIL_BUCKET",
                "set SES_RAW_MAIL_BUCKET too, or unset the prefix",
            );
        }
        bucket.map(|bucket| SesRawMail {
            bucket,
            prefix: prefix.unwrap_or_default(),
        })
    }
}

impl MetricsConfig {
    /// `None` when `METRICS` is off.
    fn read(r: &mut Reader<impl Fn(&str) -> Option<String>>) -> Option<Self> {
        let function_name = r
            .get("AWS_LAMBDA_FUNCTION_NAME")
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
        let on = r.choice(&settings::METRICS) == 0;
        let namespace = r.parsed(&settings::METRICS_NAMESPACE, |v| {
            validate_metrics_namespace(v).map(|()| v.to_owned())
        });
        // Unset: the function's name is the namespace, and must be one.
        if r.get(settings::METRICS_NAMESPACE.name).is_none()
            && let Err(fault) = validate_metrics_namespace(&function_name)
        {
            r.problem(
                settings::METRICS_NAMESPACE.name,
                format!("{function_name:?} (the function's name) {fault}"),
                settings::METRICS_NAMESPACE.fix(),
            );
        }
        on.then(|| MetricsConfig {
            namespace: namespace.unwrap_or_else(|| function_name.clone()),
            function_name,
            log: LogSettings::from_lookup(&r.lookup),
        })
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

    /// The target role's grant is `<bucket>/<KEY_PREFIX>*`: `*` and `?` there are IAM
    /// wildcards (the grant would reach other prefixes) and `$` starts a policy
    /// variable, so the function refuses them, as the Terraform modules do.
    #[test]
    fn key_prefix_refuses_iam_wildcards_and_policy_variables() {
        for prefix in ["a*/", "a?/", "${aws:username}/", "a b/", "a{b}/"] {
            let err = config(&with(&[("KEY_PREFIX", prefix)])).unwrap_err();
            assert_eq!(problem_variables(err.clone()), ["KEY_PREFIX"], "{prefix}");
            assert!(err.to_string().contains("!_.'()=+,@/-"), "{err}");
        }
        let c = config(&with(&[("KEY_PREFIX", "dt=2026/x_(1)!',+@/")])).unwrap();
        assert_eq!(c.key_prefix.as_str(), "dt=2026/x_(1)!',+@/");
    }

    #[test]
    fn text_hints_take_lengths_and_characters_from_the_constants() {
        let err = config(&with(&[
            ("TARGET_EXTERNAL_ID", "a"),
            ("ROLE_SESSION_NAME", "a"),
            ("METRICS_NAMESPACE", "a b"),
            ("SES_RAW_MAIL_BUCKET", "ab"),
        ]))
        .unwrap_err();
        for (variable, chars) in [
            ("TARGET_EXTERNAL_ID", &rules::EXTERNAL_ID),
            ("ROLE_SESSION_NAME", &rules::SESSION_NAME),
            ("METRICS_NAMESPACE", &rules::NAMESPACE),
        ] {
            let problem = err.problems.iter().find(|p| p.variable == variable);
            let fix = &problem.expect(variable).fix;
            assert!(
                fix.contains(&format!(
                    "{}-{} characters of letters, digits and {}",
                    chars.min, chars.max, chars.punctuation
                )),
                "{variable}: {fix}"
            );
        }
        let bucket = settings::TARGET_BUCKET.fix();
        assert!(bucket.contains(&format!(
            "{}-{}",
            rules::BUCKET_NAME.min,
            rules::BUCKET_NAME.max
        )));
    }

    #[test]
    fn target_region_has_the_shape_of_a_region_name() {
        for region in [
            "eu-west-1",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "eusc-de-east-1",
        ] {
            let c = config(&with(&[("TARGET_REGION", region)])).unwrap();
            assert_eq!(c.target_region.as_deref(), Some(region));
        }
        for region in ["local", "eu-west", "euwest1", "EU-WEST-1", "abcde-west-1"] {
            let err = config(&with(&[("TARGET_REGION", region)])).unwrap_err();
            assert_eq!(problem_variables(err), ["TARGET_REGION"], "{region}");
        }
    }

    #[test]
    fn every_setting_is_read_by_from_lookup() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = Config::from_lookup(|name| {
            asked.borrow_mut().push(name.to_owned());
            None
        });
        let asked = asked.into_inner();
        for s in settings::SETTINGS {
            if !matches!(s.rule, settings::Rule::Elsewhere) {
                assert!(asked.iter().any(|n| n == s.name), "{} is not read", s.name);
            }
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
