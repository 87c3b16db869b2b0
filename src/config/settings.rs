//! Every environment variable of the function, defined once: its name, what it
//! means, its default, what it accepts and how to fix a refused value, and the
//! Terraform input that sets it (in the manner of ripgrep's flag definitions).
//!
//! [`super::Config::from_lookup`] reads each setting through its definition, so
//! a range or a default cannot differ between the check, the fix hint and the
//! docs: the README's configuration table is rendered from [`SETTINGS`] (a test
//! fails when it differs, `UPDATE_SETTINGS_DOCS=1` rewrites it), and
//! `tests/config_module.rs` runs every setting's [`Setting::samples`] (and the
//! edges of every range) through both the function and the writer-function
//! module's validations, which must agree value for value.
//!
//! Numbers and choices are parsed by their [`Rule`]; a text setting's parser
//! (which builds its typed value: a `RoleArn`, a `KeyPrefix`, ...) is given at
//! the one place `from_lookup` reads it, with its check from `rules.rs`.

use super::rules::{BUCKET_NAME, Characters, EXTERNAL_ID, NAMESPACE, SESSION_NAME};
use super::{
    DEFAULT_KEY_PREFIX, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONCURRENT_PARTS, DEFAULT_MAX_CONCURRENT_WRITES, DEFAULT_PART_SIZE_MIB,
    MAX_CHAINED_SESSION_SECONDS, MAX_MAX_BATCH_BYTES, MAX_MAX_CONCURRENT_PARTS,
    MAX_MAX_CONCURRENT_WRITES, MAX_PART_SIZE_MIB, MIB, MIN_MAX_BATCH_BYTES, MIN_PART_SIZE_MIB,
    MIN_SESSION_SECONDS,
};

/// One environment variable.
#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    /// Variables documented in the same row (read alike, or together).
    pub also: &'static [&'static str],
    /// What it does (Markdown, one line).
    pub meaning: &'static str,
    pub default: Default,
    pub rule: Rule,
    /// How to fix a refused value; numbers make theirs from [`Rule::Number`].
    pub fix: Fix,
    /// Who sets it in a deployment of the writer-function module.
    pub module: Module,
    /// Values near the edges of what the function accepts, on both sides (a
    /// number's range edges are added from [`Rule::Number`]).
    pub samples: &'static [&'static str],
    /// The value is never repeated in a problem (a shared secret).
    pub secret: bool,
}

/// How to fix a refused value.
#[derive(Debug)]
pub enum Fix {
    Text(&'static str),
    /// `before`, the characters' length and kinds (from their constant), `after`.
    Characters {
        before: &'static str,
        chars: &'static Characters,
        after: &'static str,
    },
}

/// What the function uses when the variable is unset (or empty).
#[derive(Debug)]
pub enum Default {
    /// It must be set; the text says to what.
    Required(&'static str),
    /// This value, checked like a given one.
    Value(&'static str),
    /// Derived from elsewhere, as described.
    Described(&'static str),
    /// A number's default, in [`Rule::Number`].
    OfNumber,
}

/// What the function accepts.
#[derive(Debug)]
pub enum Rule {
    /// Text checked by the setting's parser (next to its definition below).
    Text,
    /// A whole number in `min..=max` (`u64::MAX`: no upper bound) of `unit` (`""`: a count).
    Number {
        min: u64,
        max: u64,
        default: u64,
        unit: &'static str,
        /// Why the bounds are what they are, where that needs saying.
        note: &'static str,
    },
    /// One of these options, matched without case; each option lists its spellings.
    OneOf {
        options: &'static [&'static [&'static str]],
        fault: &'static str,
    },
    /// Read outside `Config` (Lambda's logging, the TLS trust store, the runtime).
    Elsewhere,
}

/// How the writer-function module sets a variable.
#[derive(Debug, PartialEq, Eq)]
pub enum Module {
    /// From this input variable (`variables.tf`), whose validation must accept
    /// exactly what the function accepts.
    Input(&'static str),
    /// Lambda sets it (from the function's logging or runtime configuration).
    Lambda,
    /// The module does not set it: the function's default applies.
    NotSet,
}

impl Setting {
    const fn new(name: &'static str, meaning: &'static str) -> Self {
        Self {
            name,
            also: &[],
            meaning,
            default: Default::Described("none"),
            rule: Rule::Text,
            fix: Fix::Text(""),
            module: Module::NotSet,
            samples: &[],
            secret: false,
        }
    }

    /// The fix hint of a refused value.
    pub fn fix(&self) -> String {
        match &self.fix {
            Fix::Text(text) => (*text).to_owned(),
            Fix::Characters {
                before,
                chars,
                after,
            } => format!("{before}{}{after}", chars.describe()),
        }
    }

    /// Every value the samples check runs: the listed samples, and for a
    /// number the edges of its range, one past them and a fraction.
    pub fn all_samples(&self) -> Vec<String> {
        let mut samples: Vec<String> = self.samples.iter().map(|s| (*s).to_owned()).collect();
        if let Rule::Number { min, max, .. } = self.rule {
            samples.extend([min.to_string(), format!("{min}.5")]);
            if let Some(below) = min.checked_sub(1) {
                samples.push(below.to_string());
            }
            if max != u64::MAX {
                samples.extend([max.to_string(), (max + 1).to_string()]);
            }
        }
        if let Rule::OneOf { options, .. } = self.rule {
            for spelling in options.iter().flat_map(|o| o.iter()) {
                samples.extend([(*spelling).to_owned(), spelling.to_ascii_uppercase()]);
            }
            samples.push("other".to_owned());
        }
        samples
    }

    /// The README's default column.
    fn default_doc(&self) -> String {
        match (&self.default, &self.rule) {
            (Default::Required(_), _) => String::new(),
            (Default::Value(v), _) => format!("`{v}`"),
            (Default::Described(d), _) => (*d).to_owned(),
            (Default::OfNumber, Rule::Number { default, unit, .. }) => show(*default, unit),
            (Default::OfNumber, _) => unreachable!("{}: a default of a number", self.name),
        }
    }

    /// The README's meaning column: the meaning, and what is accepted (from the rule).
    fn meaning_doc(&self) -> String {
        let mut doc = String::new();
        if let Default::Required(_) = self.default {
            doc.push_str("**required**; ");
        }
        doc.push_str(self.meaning);
        match &self.rule {
            Rule::Number { min, max, .. } => {
                if *max == u64::MAX {
                    doc.push_str(&format!("; at least `{min}`"));
                } else {
                    doc.push_str(&format!("; `{min}`..=`{max}`"));
                }
            }
            Rule::OneOf { options, .. } => {
                let spellings: Vec<String> = options
                    .iter()
                    .map(|o| {
                        o.iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .collect();
                doc.push_str(&format!("; one of {} (any case)", spellings.join(", ")));
            }
            Rule::Text | Rule::Elsewhere => {}
        }
        doc
    }

    fn module_doc(&self) -> String {
        match self.module {
            Module::Input(input) => format!("`{input}`"),
            Module::Lambda => "set by Lambda".to_owned(),
            Module::NotSet => "not set (the default)".to_owned(),
        }
    }
}

/// A number as the docs give it: bytes also in MiB.
pub(super) fn show(n: u64, unit: &str) -> String {
    let mib = MIB as u64;
    if unit == "bytes" && n >= mib && n.is_multiple_of(mib) {
        format!("{n} ({} MiB)", n / mib)
    } else {
        n.to_string()
    }
}

const fn number(min: u64, max: u64, default: u64, unit: &'static str, note: &'static str) -> Rule {
    Rule::Number {
        min,
        max,
        default,
        unit,
        note,
    }
}

const BUCKET_SAMPLES: &[&str] = &[
    "abc",
    "my.bucket-1",
    "ab",
    "-abc",
    "abc-",
    "a..b",
    "192.168.1.1",
    "1.2.3",
    "ABC",
    "s3://abc",
    "a_b",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

/// The role in the bucket account.
pub const TARGET_ROLE_ARN: Setting = Setting {
    default: Default::Required(
        "set it to the ARN of the role in the bucket account, e.g. arn:aws:iam::222222222222:role/writer-target",
    ),
    fix: Fix::Text(
        "use the form arn:<partition>:iam::<12-digit account>:role/<optional path/><name>, \
         the name of letters, digits and +=,.@_-",
    ),
    module: Module::Input("target_role_arn"),
    samples: &[
        "arn:aws:iam::222222222222:role/writer-target",
        "arn:aws:iam::222222222222:role/path/to/writer",
        "arn:aws-cn:iam::222222222222:role/w",
        "arn:aws-us-gov:iam::222222222222:role/w",
        "arn:aws-eusc:iam::222222222222:role/w",
        "arn:aws-foo:iam::222222222222:role/w",
        "arn:aws:iam::222222222222:role/",
        "arn:aws:iam::222222222222:role/path/",
        "arn:aws:iam::222222222222:role/writer*",
        "arn:aws:iam::222222222222:role/a b",
        "arn:aws:iam::222222222222:user/bob",
        "arn:aws:iam:eu-west-1:222222222222:role/w",
        "arn:aws:iam::22222222222:role/w",
        "arn:aws:sts::222222222222:role/w",
        "writer-target",
    ],
    ..Setting::new(
        "TARGET_ROLE_ARN",
        "the role in the bucket account (`arn:aws:iam::<account>:role/<name>`)",
    )
};

pub const TARGET_BUCKET: Setting = Setting {
    default: Default::Required("set it to the name of the bucket in the bucket account"),
    fix: Fix::Characters {
        before: "give the bucket's name only (no s3:// or ARN): ",
        chars: &BUCKET_NAME,
        after: "",
    },
    module: Module::Input("target_bucket"),
    samples: BUCKET_SAMPLES,
    ..Setting::new(
        "TARGET_BUCKET",
        "the bucket's name (S3 naming rules are checked)",
    )
};

pub const TARGET_EXTERNAL_ID: Setting = Setting {
    fix: Fix::Characters {
        before: "use ",
        chars: &EXTERNAL_ID,
        after: " exactly as in the target role's trust policy",
    },
    module: Module::Input("external_id"),
    samples: &["ab", "a", "ext-123_+=,.@:/", "has space", "a*b", "é-x"],
    secret: true,
    ..Setting::new(
        "TARGET_EXTERNAL_ID",
        "`sts:ExternalId` sent to AssumeRole (never logged; the module requires it)",
    )
};

pub const TARGET_BUCKET_OWNER: Setting = Setting {
    default: Default::Described("the account in `TARGET_ROLE_ARN`"),
    fix: Fix::Text(
        "set it to the bucket account's ID, or unset it to use the account in TARGET_ROLE_ARN",
    ),
    module: Module::Input("target_bucket_owner"),
    samples: &[
        "333333333333",
        "22222222222x",
        "12345678901",
        "1234567890123",
    ],
    ..Setting::new(
        "TARGET_BUCKET_OWNER",
        "account that must own the bucket (`x-amz-expected-bucket-owner`)",
    )
};

pub const TARGET_REGION: Setting = Setting {
    default: Default::Described("`AWS_REGION`, then `AWS_DEFAULT_REGION`"),
    fix: Fix::Text("use the bucket's region, e.g. eu-west-1"),
    module: Module::Input("target_region"),
    samples: &[
        "eu-west-1",
        "us-gov-west-1",
        "cn-north-1",
        "eu-isoe-west-1",
        "eusc-de-east-1",
        "abcde-west-1",
        "local",
        "eu-west",
        "EU-WEST-1",
        "eu_west_1",
        "e-west-1",
        "eu-west-1-",
        "euwest1",
    ],
    ..Setting::new(
        "TARGET_REGION",
        "the bucket's region (the SDK does not follow S3 redirects)",
    )
};

pub const KEY_PREFIX: Setting = Setting {
    default: Default::Value(DEFAULT_KEY_PREFIX),
    fix: Fix::Text(
        "use a relative prefix ending in '/' of letters, digits and !_.'()=+,@/-, e.g. incoming/, \
         matching the prefix the target role may write",
    ),
    module: Module::Input("key_prefix"),
    samples: &[
        "incoming/",
        "a/b/",
        "dt=2026/x_(1)!',+@/",
        "incoming",
        "/incoming/",
        "a//",
        "./",
        "a/../",
        "a*/",
        "a?/",
        "a$/",
        "${aws:username}/",
        "a b/",
        "a{b}/",
        "a%20/",
        "é/",
    ],
    ..Setting::new(
        "KEY_PREFIX",
        "every key starts with it; must end in `/` and match the role's policy; `*`, `?` and `$` \
         are refused (IAM wildcards and policy variables in the role's `<bucket>/<prefix>*` grant)",
    )
};

pub const KEY_TEMPLATE: Setting = Setting {
    default: Default::Described("per-source layout"),
    fix: Fix::Text(
        "e.g. {source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}, or unset it for the per-source layout",
    ),
    module: Module::Input("key_template"),
    samples: &[
        "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}",
        "{source}/{source_name}/{id}",
        "lake/{source}/{source_name}/{mm}{partition_key}/{id}",
        "{source}/{source_name}/{id}/x",
        "{source}/{source_name}/{date}/{id}",
        "{source}/{source_name}/{yyyy}",
        "{source}/{source}/{source_name}/{id}",
        "{source}/x{source_name}/{id}",
        "/{source}/{source_name}/{id}",
        "{source}/{source_name}/{id}/",
        "{source}//{source_name}/{id}",
        "{source}/./{source_name}/{id}",
        "{source}/{source_name}/a%b/{id}",
        "{source}/{source_name}/{id}}",
        "{source}/{source_name}/{{id}",
        "{source}/{source_name}/{id",
        "{yyyy}/{source}/{source_name}/{id}",
        "x{yyyy}/{source}/{source_name}/{id}",
    ],
    ..Setting::new(
        "KEY_TEMPLATE",
        "the layout below `KEY_PREFIX` instead of the per-source one, e.g. \
         `{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}` (see [Key templates](#key-templates))",
    )
};

pub const SSE_KMS_KEY_ARN: Setting = Setting {
    default: Default::Described("bucket default"),
    fix: Fix::Text(
        "use the key's full ARN arn:<partition>:kms:<region>:<account>:key/<key id> (an alias is not accepted cross-account)",
    ),
    module: Module::Input("sse_kms_key_arn"),
    samples: &[
        "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-cn:kms:cn-north-1:222222222222:key/mrk-1234",
        "arn:aws:kms:us-west-2:222222222222:alias/my-key",
        "alias/my-key",
        "arn:aws:kms::222222222222:key/1234",
        "arn:aws:kms:us-west-2:222222222222:key/",
        "arn:aws:kms:us-west-2:222222222222:key/a*b",
        "arn:aws:kms:US-WEST-2:222222222222:key/1234",
        "arn:aws-foo:kms:us-west-2:222222222222:key/1234",
        "arn:aws:s3:us-west-2:222222222222:key/1234",
    ],
    ..Setting::new(
        "SSE_KMS_KEY_ARN",
        "SSE-KMS with this key (full key ARN, not an alias) and an S3 Bucket Key",
    )
};

pub const ROLE_SESSION_NAME: Setting = Setting {
    default: Default::Described("the function name"),
    fix: Fix::Characters {
        before: "use ",
        chars: &SESSION_NAME,
        after: "",
    },
    module: Module::Input("role_session_name"),
    samples: &[
        "my-session",
        "ab",
        "a",
        "a_+=,.@-",
        "a:b",
        "a b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ],
    ..Setting::new(
        "ROLE_SESSION_NAME",
        "session name, shows in the bucket account's CloudTrail",
    )
};

pub const ROLE_SESSION_SECONDS: Setting = Setting {
    default: Default::OfNumber,
    rule: number(
        MIN_SESSION_SECONDS,
        MAX_CHAINED_SESSION_SECONDS,
        MAX_CHAINED_SESSION_SECONDS,
        "seconds",
        " (role chaining caps a session at one hour)",
    ),
    module: Module::Input("role_session_seconds"),
    ..Setting::new(
        "ROLE_SESSION_SECONDS",
        "lifetime of the assumed-role session (role chaining caps a session at one hour)",
    )
};

pub const MAX_CONCURRENT_WRITES: Setting = Setting {
    default: Default::OfNumber,
    rule: number(
        1,
        MAX_MAX_CONCURRENT_WRITES as u64,
        DEFAULT_MAX_CONCURRENT_WRITES as u64,
        "",
        "",
    ),
    module: Module::Input("max_concurrent_writes"),
    ..Setting::new(
        "MAX_CONCURRENT_WRITES",
        "PUTs in flight within one invocation; the default is SQS's default batch size, written in one round",
    )
};

pub const MAX_BODY_BYTES: Setting = Setting {
    default: Default::OfNumber,
    rule: number(1, u64::MAX, DEFAULT_MAX_BODY_BYTES as u64, "bytes", ""),
    ..Setting::new(
        "MAX_BODY_BYTES",
        "largest inline body; larger is refused (HTTP 413)",
    )
};

pub const PART_SIZE_MIB: Setting = Setting {
    default: Default::OfNumber,
    rule: number(
        MIN_PART_SIZE_MIB as u64,
        MAX_PART_SIZE_MIB as u64,
        DEFAULT_PART_SIZE_MIB as u64,
        "MiB",
        " (the least is S3's smallest part)",
    ),
    ..Setting::new(
        "PART_SIZE_MIB",
        "S3 copies up to this size take one PUT, larger ones parts of it (the least is S3's smallest part)",
    )
};

pub const MAX_CONCURRENT_PARTS: Setting = Setting {
    default: Default::OfNumber,
    rule: number(
        1,
        MAX_MAX_CONCURRENT_PARTS as u64,
        DEFAULT_MAX_CONCURRENT_PARTS as u64,
        "",
        " (parts of one copy held in memory at once)",
    ),
    module: Module::Input("max_concurrent_parts"),
    ..Setting::new(
        "MAX_CONCURRENT_PARTS",
        "parts of one multipart copy uploaded at once; a copy holds at most this many parts in memory \
         (each exactly `PART_SIZE_MIB`), so up to `MAX_CONCURRENT_WRITES` × this × part size for \
         concurrent large copies",
    )
};

pub const S3_FORCE_PATH_STYLE: Setting = Setting {
    default: Default::Described("true when `AWS_ENDPOINT_URL(_S3)` is set"),
    rule: Rule::OneOf {
        options: &[&["true", "1"], &["false", "0"]],
        fault: "is not a boolean",
    },
    fix: Fix::Text("use true or false"),
    ..Setting::new("S3_FORCE_PATH_STYLE", "path-style S3 addressing")
};

pub const SES_RAW_MAIL_BUCKET: Setting = Setting {
    fix: Fix::Text("give the name of the bucket the SES receipt rule writes to"),
    module: Module::Input("ses_raw_mail_bucket"),
    samples: BUCKET_SAMPLES,
    ..Setting::new(
        "SES_RAW_MAIL_BUCKET",
        "where an SES receipt rule's S3 action stores raw mail (lambda account)",
    )
};

pub const SES_RAW_MAIL_PREFIX: Setting = Setting {
    fix: Fix::Text(
        "use a prefix ending in '/' of letters, digits and !_.'()=+,@/-, without '//' (the module \
         grants reading <bucket>/<prefix>*), or unset it; set SES_RAW_MAIL_BUCKET too",
    ),
    module: Module::Input("ses_raw_mail_prefix"),
    samples: &[
        "mail/",
        "raw/mail/",
        "a=1,b/",
        "mail",
        "/mail/",
        "a//",
        "a*/",
        "a?/",
        "a$/",
        "a b/",
    ],
    ..Setting::new(
        "SES_RAW_MAIL_PREFIX",
        "the key prefix of that S3 action (needs `SES_RAW_MAIL_BUCKET`); ends in `/`",
    )
};

pub const OBJECT_MODE: Setting = Setting {
    default: Default::Value("record"),
    rule: Rule::OneOf {
        options: &[&["record"], &["batch"]],
        fault: "is not record or batch",
    },
    fix: Fix::Text(
        "use record (one object per record) or batch (one NDJSON object per batch), or unset it for record",
    ),
    module: Module::Input("object_mode"),
    ..Setting::new(
        "OBJECT_MODE",
        "`record`: one object per record; `batch`: one NDJSON object per batch ([below](#batched-objects-and-compression))",
    )
};

pub const S3_NOTIFICATIONS_IN_MESSAGES: Setting = Setting {
    default: Default::Value("copy"),
    rule: Rule::OneOf {
        options: &[&["copy"], &["store"]],
        fault: "is not copy or store",
    },
    fix: Fix::Text(
        "use copy (copy the object the notification names) or store (store the message itself), or unset it for copy",
    ),
    ..Setting::new(
        "S3_NOTIFICATIONS_IN_MESSAGES",
        "an S3 notification arriving in an SQS message, an SNS notification (or SNS → SQS) or as an EventBridge `aws.s3` event: `copy` the object it names, as a direct S3 notification does; `store` the message or event itself, as any other ([below](#s3-notifications-through-sqs-sns-and-eventbridge))",
    )
};

pub const BATCH_FORMAT: Setting = Setting {
    default: Default::Value("ndjson"),
    rule: Rule::OneOf {
        options: &[&["ndjson"]],
        fault: "is not a supported format",
    },
    fix: Fix::Text("use ndjson (the only format), or unset it"),
    ..Setting::new("BATCH_FORMAT", "the batch objects' format")
};

pub const MAX_BATCH_BYTES: Setting = Setting {
    default: Default::OfNumber,
    rule: number(
        MIN_MAX_BATCH_BYTES as u64,
        MAX_MAX_BATCH_BYTES as u64,
        DEFAULT_MAX_BATCH_BYTES as u64,
        "bytes",
        "",
    ),
    module: Module::Input("max_batch_bytes"),
    ..Setting::new(
        "MAX_BATCH_BYTES",
        "largest batch object (uncompressed); a larger batch is split into several objects, in order",
    )
};

pub const CONTENT_ENCODING: Setting = Setting {
    default: Default::Value("identity"),
    rule: Rule::OneOf {
        options: &[&["identity", "none"], &["gzip"]],
        fault: "is not supported",
    },
    fix: Fix::Text("use gzip, or unset it (or identity) to store bodies uncompressed"),
    module: Module::Input("content_encoding"),
    ..Setting::new(
        "CONTENT_ENCODING",
        "`gzip`: inline bodies and batch objects are stored gzip-compressed (`Content-Encoding: gzip`, \
         `.gz` keys); `identity`: as they are",
    )
};

pub const METRICS: Setting = Setting {
    default: Default::Value("on"),
    rule: Rule::OneOf {
        options: &[&["on", "true", "1"], &["off", "false", "0"]],
        fault: "is not on or off",
    },
    fix: Fix::Text("use on or off, or unset it for on"),
    ..Setting::new(
        "METRICS",
        "one CloudWatch EMF document per invocation (see [Metrics](#metrics))",
    )
};

pub const METRICS_NAMESPACE: Setting = Setting {
    default: Default::Described("the function name"),
    fix: Fix::Characters {
        before: "use ",
        chars: &NAMESPACE,
        after: " not starting with AWS/ or ':', or unset it for the function's name",
    },
    module: Module::Input("metrics_namespace"),
    samples: &[
        "Team/Writer",
        "a.b-c_d/e#f:g",
        "AWS/Lambda",
        "AWSx",
        ":a",
        "a:",
        "a b",
        "a*b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ],
    ..Setting::new("METRICS_NAMESPACE", "the metrics' CloudWatch namespace")
};

pub const AWS_LAMBDA_MAX_CONCURRENCY: Setting = Setting {
    default: Default::Described("one at a time"),
    rule: Rule::Elsewhere,
    module: Module::Lambda,
    ..Setting::new(
        "AWS_LAMBDA_MAX_CONCURRENCY",
        "set by Lambda Managed Instances: above 1, that many invocations run at once in one process, \
         interleaved on one thread, sharing the clients and the one assumed-role session \
         (`AssumeRoleCalls` is still per invocation)",
    )
};

pub const SSL_CERT_FILE: Setting = Setting {
    also: &["SSL_CERT_DIR"],
    default: Default::Described("Mozilla's root certificates, compiled in (`webpki-root-certs`)"),
    rule: Rule::Elsewhere,
    ..Setting::new(
        "SSL_CERT_FILE",
        "when either is set, the TLS trust store is exactly what they name (a private CA, the local \
         emulator); read at start",
    )
};

pub const AWS_LAMBDA_LOG_FORMAT: Setting = Setting {
    also: &["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"],
    default: Default::Described("text, `INFO`"),
    rule: Rule::Elsewhere,
    module: Module::Lambda,
    ..Setting::new(
        "AWS_LAMBDA_LOG_FORMAT",
        "set by Lambda from the function's logging config. `JSON`: one JSON object a line, each with \
         an RFC 3339 `timestamp` and a `level`, so Lambda's log-level filter keeps what it should \
         (see [Metrics](#metrics)); `TRACE`..`FATAL`: the least severe level logged (at `FATAL` \
         only a fatal start-up error or a panic is, as a `FATAL` line). `RUST_LOG` replaces the \
         level filter with comma-separated `level`, `target` or `target=level` directives (no span \
         or field filters; a filter that does not parse logs at `INFO`); lines below \
         `AWS_LAMBDA_LOG_LEVEL` are then dropped by Lambda",
    )
};

/// Every setting, in the README's order.
pub const SETTINGS: &[&Setting] = &[
    &TARGET_ROLE_ARN,
    &TARGET_BUCKET,
    &TARGET_EXTERNAL_ID,
    &TARGET_BUCKET_OWNER,
    &TARGET_REGION,
    &KEY_PREFIX,
    &KEY_TEMPLATE,
    &SSE_KMS_KEY_ARN,
    &ROLE_SESSION_NAME,
    &ROLE_SESSION_SECONDS,
    &MAX_CONCURRENT_WRITES,
    &MAX_BODY_BYTES,
    &PART_SIZE_MIB,
    &MAX_CONCURRENT_PARTS,
    &S3_FORCE_PATH_STYLE,
    &SES_RAW_MAIL_BUCKET,
    &SES_RAW_MAIL_PREFIX,
    &S3_NOTIFICATIONS_IN_MESSAGES,
    &OBJECT_MODE,
    &BATCH_FORMAT,
    &MAX_BATCH_BYTES,
    &CONTENT_ENCODING,
    &METRICS,
    &METRICS_NAMESPACE,
    &AWS_LAMBDA_MAX_CONCURRENCY,
    &SSL_CERT_FILE,
    &AWS_LAMBDA_LOG_FORMAT,
];

/// The README's configuration table, rendered from [`SETTINGS`].
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| variable | meaning | default | writer-function module |\n|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let names: Vec<String> = std::iter::once(s.name)
            .chain(s.also.iter().copied())
            .map(|n| format!("`{n}`"))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            names.join(", "),
            s.meaning_doc(),
            s.default_doc(),
            s.module_doc()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- settings table: generated from src/config/settings.rs -->\n";
    const END: &str = "<!-- end of settings table -->\n";

    /// The README's configuration table is the one [`SETTINGS`] renders;
    /// `UPDATE_SETTINGS_DOCS=1 cargo test --lib readme_configuration_table` rewrites it.
    #[test]
    fn readme_configuration_table_is_rendered_from_the_settings() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme.find(BEGIN).expect("README has the begin marker") + BEGIN.len();
        let end = readme.find(END).expect("README has the end marker");
        let rendered = markdown_table();
        if std::env::var_os("UPDATE_SETTINGS_DOCS").is_some() {
            let updated = format!("{}{rendered}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert_eq!(
            readme[start..end],
            rendered,
            "README.md's configuration table differs from src/config/settings.rs: \
             run UPDATE_SETTINGS_DOCS=1 cargo test --lib readme_configuration_table"
        );
    }

    #[test]
    fn every_setting_is_named_once_and_choices_default_to_an_option() {
        let mut names: Vec<&str> = SETTINGS
            .iter()
            .flat_map(|s| std::iter::once(s.name).chain(s.also.iter().copied()))
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a variable is defined twice");
        for s in SETTINGS {
            if let (Rule::OneOf { options, .. }, Default::Value(v)) = (&s.rule, &s.default) {
                assert!(options.iter().any(|o| o.contains(v)), "{}", s.name);
            }
            if let Rule::Number {
                min, max, default, ..
            } = s.rule
            {
                assert!((min..=max).contains(&default), "{}", s.name);
            }
        }
    }

    #[test]
    fn the_docs_take_ranges_and_defaults_from_the_constants() {
        let table = markdown_table();
        let row = |name: &str| {
            table
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}`")))
                .unwrap()
                .to_owned()
        };
        assert!(row("MAX_CONCURRENT_WRITES").contains(&format!(
            "`1`..=`{MAX_MAX_CONCURRENT_WRITES}` | {DEFAULT_MAX_CONCURRENT_WRITES} |"
        )));
        assert!(row("MAX_BATCH_BYTES").contains(&format!(
            "`{MIN_MAX_BATCH_BYTES}`..=`{MAX_MAX_BATCH_BYTES}` | {} ({} MiB) |",
            DEFAULT_MAX_BATCH_BYTES,
            DEFAULT_MAX_BATCH_BYTES / MIB
        )));
        assert!(row("KEY_PREFIX").contains(&format!("| `{DEFAULT_KEY_PREFIX}` |")));
        assert!(row("TARGET_ROLE_ARN").contains("**required**"));
    }
}
