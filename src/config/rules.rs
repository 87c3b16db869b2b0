//! The rules values must follow: AWS's names, IDs and regions.

use super::DEFAULT_SESSION_NAME;

/// Text of `min..=max` characters of `letters`, digits and `punctuation`: what
/// a check and its fix hint both take their numbers from.
#[derive(Debug)]
pub struct Characters {
    pub min: usize,
    pub max: usize,
    /// `"letters"` (any case) or `"lowercase letters"`.
    pub letters: &'static str,
    pub punctuation: &'static str,
}

impl Characters {
    /// "2-64 characters of letters, digits and _+=,.@-"
    pub fn describe(&self) -> String {
        format!(
            "{}-{} characters of {}, digits and {}",
            self.min, self.max, self.letters, self.punctuation
        )
    }

    fn has_length_of(&self, s: &str) -> bool {
        (self.min..=self.max).contains(&s.len())
    }
}

/// A CloudWatch namespace (and its `AWS/` and `:` rules).
pub const NAMESPACE: Characters = Characters {
    min: 1,
    max: 255,
    letters: "letters",
    punctuation: ".-_/#:",
};
/// An `sts:ExternalId`.
pub const EXTERNAL_ID: Characters = Characters {
    min: 2,
    max: 1224,
    letters: "letters",
    punctuation: "_+=,.@:/-",
};
/// A `RoleSessionName`.
pub const SESSION_NAME: Characters = Characters {
    min: 2,
    max: 64,
    letters: "letters",
    punctuation: "_+=,.@-",
};
/// A general-purpose bucket name (and its other rules, below).
pub const BUCKET_NAME: Characters = Characters {
    min: 3,
    max: 63,
    letters: "lowercase letters",
    punctuation: ".-",
};

/// CloudWatch's rules for a namespace.
pub(super) fn validate_metrics_namespace(ns: &str) -> Result<(), String> {
    if !NAMESPACE.has_length_of(ns) {
        return Err(format!(
            "must be {}-{} characters",
            NAMESPACE.min, NAMESPACE.max
        ));
    }
    if first_outside(ns, NAMESPACE.punctuation).is_some() {
        return Err("has a character CloudWatch does not allow".into());
    }
    if ns.starts_with("AWS/") {
        return Err("starts with AWS/, which is reserved for AWS services".into());
    }
    if ns.starts_with(':') {
        return Err("starts with ':', which CloudWatch does not allow".into());
    }
    Ok(())
}

/// The shape of every AWS region name: two to four letters, one or more words, a
/// number (`eu-west-1`, `us-gov-west-1`, `eu-isoe-west-1`, `eusc-de-east-1`).
pub(super) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [area, words @ .., number] if !words.is_empty() => {
            (2..=4).contains(&area.len())
                && letters(area)
                && words.iter().all(letters)
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// What a key prefix may hold besides letters and digits: S3's safe characters
/// without `*` (with `?`, an IAM wildcard in the target role's
/// `<bucket>/<prefix>*` grant, which would then cover other prefixes) and
/// with the `=+,@` of Hive partitions; no `$` (an IAM policy variable `${...}`,
/// and an Athena partition-projection placeholder), no `{}` (the look of a
/// `KEY_TEMPLATE` token), no space or `%` (escaped in URLs and Hive paths).
pub const PREFIX_PUNCTUATION: &str = "!_.'()=+,@/-";

/// A key prefix uses only letters, digits and [`PREFIX_PUNCTUATION`].
pub(super) fn validate_prefix_characters(prefix: &str) -> Result<(), String> {
    match first_outside(prefix, PREFIX_PUNCTUATION) {
        Some(c) => Err(format!(
            "contains {c:?}; a prefix takes letters, digits and {PREFIX_PUNCTUATION} only \
             (it is matched in the IAM policies' <bucket>/<prefix>* grants)"
        )),
        None => Ok(()),
    }
}

/// `SES_RAW_MAIL_PREFIX`: the module grants reading `<bucket>/<prefix>*`, so
/// the rules of a key prefix, without the segment rules (SES writes under it as given).
pub(super) fn validate_raw_mail_prefix(prefix: &str) -> Result<(), String> {
    validate_prefix_characters(prefix)?;
    if prefix.starts_with('/') || !prefix.ends_with('/') || prefix.contains("//") {
        return Err("must end with '/', and neither start with '/' nor contain '//'".into());
    }
    Ok(())
}

/// The first character of `s` that is neither an ASCII letter or digit nor in `punctuation`.
fn first_outside(s: &str, punctuation: &str) -> Option<char> {
    s.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || punctuation.contains(*c)))
}

/// The role name and path of a role ARN: IAM's characters.
pub(super) fn validate_role_name(arn: &str) -> Result<(), String> {
    let name = arn.split_once(":role/").map_or("", |(_, name)| name);
    match first_outside(name, "_+=,.@/-") {
        Some(c) => Err(format!(
            "has {c:?} in the role name, which IAM does not allow"
        )),
        None => Ok(()),
    }
}

/// The region and key ID of a KMS key ARN: lowercase region, a key ID of letters, digits and '-'.
pub(super) fn validate_kms_key_parts(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let region = parts.get(3).copied().unwrap_or_default();
    let id = parts
        .get(5)
        .and_then(|r| r.strip_prefix("key/"))
        .unwrap_or_default();
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("has region {region:?}, not a region name"));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!(
            "has key ID {id:?}; a key ID has letters, digits and '-'"
        ));
    }
    Ok(())
}

/// Bucket names may not start with these.
pub const RESERVED_BUCKET_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
/// Bucket names may not end with these.
pub const RESERVED_BUCKET_SUFFIXES: [&str; 5] =
    ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// General-purpose bucket naming rules.
pub fn validate_bucket_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if !BUCKET_NAME.has_length_of(name) {
        return Err(format!(
            "has {len} characters; bucket names have {} to {}",
            BUCKET_NAME.min, BUCKET_NAME.max
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "contains {c:?}; only lowercase letters, digits, '.' and '-' are allowed"
        ));
    }
    let first_last_ok =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        return Err("must begin and end with a letter or digit".into());
    }
    if name.contains("..") {
        return Err("contains two adjacent periods".into());
    }
    if name.split('.').count() == 4
        && name
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("is formatted as an IP address".into());
    }
    for prefix in RESERVED_BUCKET_PREFIXES {
        if name.starts_with(prefix) {
            return Err(format!("starts with the reserved prefix {prefix:?}"));
        }
    }
    for suffix in RESERVED_BUCKET_SUFFIXES {
        if name.ends_with(suffix) {
            return Err(format!("ends with the reserved suffix {suffix:?}"));
        }
    }
    Ok(())
}

pub(super) fn validate_external_id(id: &str) -> Result<(), String> {
    if !EXTERNAL_ID.has_length_of(id) {
        return Err(format!(
            "has {} characters; an ExternalId has {} to {}",
            id.len(),
            EXTERNAL_ID.min,
            EXTERNAL_ID.max
        ));
    }
    match first_outside(id, EXTERNAL_ID.punctuation) {
        Some(c) => Err(format!(
            "contains {c:?}, which STS does not accept in an ExternalId"
        )),
        None => Ok(()),
    }
}

pub(super) fn validate_session_name(name: &str) -> Result<(), String> {
    if !SESSION_NAME.has_length_of(name) {
        return Err(format!(
            "has {} characters; a session name has {} to {}",
            name.len(),
            SESSION_NAME.min,
            SESSION_NAME.max
        ));
    }
    match name.chars().find(|c| !is_session_name_char(*c)) {
        Some(c) => Err(format!("contains {c:?}")),
        None => Ok(()),
    }
}

pub(super) fn is_session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || SESSION_NAME.punctuation.contains(c)
}

/// A valid session name derived from a function name (which allows the same
/// characters plus ':' in a qualified form): invalid characters become '-', cut to 64.
pub(super) fn session_name_from(function_name: &str) -> String {
    let name: String = function_name
        .chars()
        .map(|c| if is_session_name_char(c) { c } else { '-' })
        .take(SESSION_NAME.max)
        .collect();
    if name.len() < SESSION_NAME.min {
        DEFAULT_SESSION_NAME.to_owned()
    } else {
        name
    }
}
