//! The few ARN shapes the function accepts, parsed instead of pattern-matched
//! so that a typo (a user ARN, an alias, a missing account) fails at start.

use std::fmt;

/// `arn:<partition>:iam::<account>:role/<path/><name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleArn {
    arn: String,
    account: String,
}

impl RoleArn {
    /// Parses a role ARN; the error says what is wrong (the caller adds the value).
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts = Parts::split(s)?;
        if parts.service != "iam" {
            return Err(format!(
                "is an ARN of service {:?}, not an IAM role",
                parts.service
            ));
        }
        if !parts.region.is_empty() {
            return Err("has a region; IAM ARNs have none".into());
        }
        let Some(name) = parts.resource.strip_prefix("role/") else {
            return Err(format!(
                "names {:?}, not a role (expected role/<name>)",
                parts.resource
            ));
        };
        if name.is_empty() || name.ends_with('/') {
            return Err("has no role name".into());
        }
        Ok(Self {
            arn: s.to_owned(),
            account: parts.account.to_owned(),
        })
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// `arn:<partition>:kms:<region>:<account>:key/<id>`. Aliases are refused:
/// S3 resolves an alias in the *caller's* account, which breaks cross-account writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsKeyArn(String);

impl KmsKeyArn {
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts = Parts::split(s)?;
        if parts.service != "kms" {
            return Err(format!(
                "is an ARN of service {:?}, not a KMS key",
                parts.service
            ));
        }
        if parts.region.is_empty() {
            return Err("has no region".into());
        }
        match parts.resource.strip_prefix("key/") {
            Some(id) if !id.is_empty() => Ok(Self(s.to_owned())),
            _ => Err(format!(
                "names {:?}, not a key (expected key/<key id>; aliases are not accepted)",
                parts.resource
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The account of a Lambda function ARN (`arn:<p>:lambda:<region>:<account>:function:<name>[:qualifier]`).
pub fn lambda_function_account(arn: &str) -> Option<&str> {
    let parts = Parts::split(arn).ok()?;
    (parts.service == "lambda" && parts.resource.starts_with("function:")).then_some(parts.account)
}

struct Parts<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Parts<'a> {
    fn split(s: &'a str) -> Result<Self, String> {
        let mut it = s.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
        )
        else {
            return Err(
                "is not an ARN (expected arn:<partition>:<service>:<region>:<account>:<resource>)"
                    .into(),
            );
        };
        if !matches!(
            partition,
            "aws"
                | "aws-cn"
                | "aws-us-gov"
                | "aws-iso"
                | "aws-iso-b"
                | "aws-iso-e"
                | "aws-iso-f"
                | "aws-eusc"
        ) {
            return Err(format!("has unknown partition {partition:?}"));
        }
        if !is_account_id(account) {
            return Err(format!(
                "has account {account:?}, not a 12-digit account ID"
            ));
        }
        Ok(Self {
            service,
            region,
            account,
            resource,
        })
    }
}

/// The last `:`-separated part of an ARN (a queue's or a topic's name).
///
/// This and [`arn_resource`] read the ARNs in events, which AWS wrote: they
/// check only the shape they need, not the partition or account as the
/// configuration's ARNs are checked, so no record is refused over an ARN detail.
pub(crate) fn arn_name(arn: &str) -> Option<&str> {
    arn.rsplit(':')
        .next()
        .filter(|n| !n.is_empty() && *n != arn)
}

/// The resource part of an ARN (`arn:partition:service:region:account:<resource>`),
/// when `arn` is one.
pub(crate) fn arn_resource(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    (parts.next() == Some("arn"))
        .then(|| parts.nth(4))
        .flatten()
        .filter(|r| !r.is_empty())
}

/// An AWS account ID: 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_names() {
        assert_eq!(
            arn_name("arn:aws:sqs:us-east-1:111111111111:orders"),
            Some("orders")
        );
        assert_eq!(arn_name("orders"), None);
        assert_eq!(
            arn_resource("arn:aws:kinesis:us-east-1:111111111111:stream/orders"),
            Some("stream/orders")
        );
        assert_eq!(
            arn_resource("arn:aws:dynamodb:us-east-1:1:table/T/stream/2026-11-22T00:00:00.000"),
            Some("table/T/stream/2026-11-22T00:00:00.000")
        );
        assert_eq!(arn_resource("stream/orders"), None);
        assert_eq!(arn_resource("arn:aws:kinesis:us-east-1:1:"), None);
    }

    #[test]
    fn role_arns() {
        let arn = RoleArn::parse("arn:aws:iam::222222222222:role/path/to/writer").unwrap();
        assert_eq!(arn.account(), "222222222222");
        assert_eq!(
            arn.as_str(),
            "arn:aws:iam::222222222222:role/path/to/writer"
        );
        for bad in [
            "writer",
            "arn:aws:iam::222222222222:user/bob",
            "arn:aws:iam::2222:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::222222222222:role/",
            "arn:aws:iam:us-east-1:222222222222:role/x",
            "arn:nope:iam::222222222222:role/x",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kms_key_arns() {
        assert!(KmsKeyArn::parse("arn:aws:kms:eu-west-1:222222222222:key/abcd").is_ok());
        assert!(KmsKeyArn::parse("arn:aws:kms:eu-west-1:222222222222:alias/abcd").is_err());
        assert!(KmsKeyArn::parse("abcd-1234").is_err());
    }

    #[test]
    fn function_account() {
        assert_eq!(
            lambda_function_account("arn:aws:lambda:us-east-1:111111111111:function:f:live"),
            Some("111111111111")
        );
        assert_eq!(
            lambda_function_account("arn:aws:sqs:us-east-1:111111111111:q"),
            None
        );
        assert_eq!(lambda_function_account(""), None);
    }
}
