//! The rules values must follow: AWS's names, IDs and regions.

use super::DEFAULT_SESSION_NAME;

/// CloudWatch's rules for a namespace.
pub(super) fn validate_metrics_namespace(ns: &str) -> Result<(), &'static str> {
    if ns.is_empty() || ns.len() > 255 {
        return Err("must be 1-255 characters");
    }
    if !ns
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-_/#:".contains(&b))
    {
        return Err("has a character CloudWatch does not allow");
    }
    if ns.starts_with("AWS/") {
        return Err("starts with AWS/, which is reserved for AWS services");
    }
    Ok(())
}

pub(super) fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// General-purpose bucket naming rules.
pub fn validate_bucket_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Err(format!("has {len} characters; bucket names have 3 to 63"));
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
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!("starts with the reserved prefix {prefix:?}"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!("ends with the reserved suffix {suffix:?}"));
        }
    }
    Ok(())
}

pub(super) fn validate_external_id(id: &str) -> Result<(), String> {
    if !(2..=1224).contains(&id.len()) {
        return Err(format!(
            "has {} characters; an ExternalId has 2 to 1224",
            id.len()
        ));
    }
    match id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(*c)))
    {
        Some(c) => Err(format!(
            "contains {c:?}, which STS does not accept in an ExternalId"
        )),
        None => Ok(()),
    }
}

pub(super) fn validate_session_name(name: &str) -> Result<(), String> {
    if !(2..=64).contains(&name.len()) {
        return Err(format!(
            "has {} characters; a session name has 2 to 64",
            name.len()
        ));
    }
    match name.chars().find(|c| !is_session_name_char(*c)) {
        Some(c) => Err(format!("contains {c:?}")),
        None => Ok(()),
    }
}

pub(super) fn is_session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A valid session name derived from a function name (which allows the same
/// characters plus ':' in a qualified form): invalid characters become '-', cut to 64.
pub(super) fn session_name_from(function_name: &str) -> String {
    let name: String = function_name
        .chars()
        .map(|c| if is_session_name_char(c) { c } else { '-' })
        .take(64)
        .collect();
    if name.len() < 2 {
        DEFAULT_SESSION_NAME.to_owned()
    } else {
        name
    }
}
