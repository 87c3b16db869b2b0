//! `KEY_TEMPLATE`: a layout of the caller's choosing, e.g.
//! `{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}` (Hive-style partitions).
//!
//! A template must keep the two properties every key has (see the parent module):
//!
//! - **injective**: `{source}`, `{source_name}` and `{id}` each appear exactly
//!   once, each as a whole segment. They are the record's identity; every other
//!   segment has a fixed place, and only `{id}` may span several segments, so a
//!   key splits back into its parts in one way only. The time tokens,
//!   `{partition_key}`, `{account}` and `{log_group}` add no identity (the last
//!   two repeat parts of a CloudWatch Logs delivery's `{source_name}` and
//!   `{id}`) and may sit inside a segment (`dt={yyyy}-{MM}-{dd}`);
//! - **deterministic**: the time tokens come from the record's **event time**,
//!   never the clock, so a redelivery renders the same key and meets the
//!   create-only 412 (an arrival-time prefix would write it twice).
//!
//! The first segment is `{source}` (derived keys then start with a namespace, as
//! without a template) or plain text, which caller-chosen keys may then not
//! start with. Literal text may not contain `%` (the escape character of
//! substituted values, and of the `%~` tail of shortened keys) nor control
//! characters, and no segment may be empty, `.` or `..`: a template cannot
//! leave the prefix.

use std::fmt::{self, Write as _};
use std::ops::Range;

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};

use super::{Layout, Namespace, encode_segment};

/// A placeholder of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Source,
    SourceName,
    Id,
    PartitionKey,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    /// CloudWatch Logs: the account that owns the log group.
    Account,
    /// CloudWatch Logs: the log group.
    LogGroup,
}

impl Token {
    const ALL: [Token; 11] = [
        Self::Source,
        Self::SourceName,
        Self::Id,
        Self::PartitionKey,
        Self::Year,
        Self::Month,
        Self::Day,
        Self::Hour,
        Self::Minute,
        Self::Account,
        Self::LogGroup,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::SourceName => "source_name",
            Self::Id => "id",
            Self::PartitionKey => "partition_key",
            Self::Year => "yyyy",
            Self::Month => "MM",
            Self::Day => "dd",
            Self::Hour => "HH",
            Self::Minute => "mm",
            Self::Account => "account",
            Self::LogGroup => "log_group",
        }
    }

    fn is_time(self) -> bool {
        matches!(
            self,
            Self::Year | Self::Month | Self::Day | Self::Hour | Self::Minute
        )
    }

    fn known_list() -> String {
        Self::ALL.map(|t| format!("{{{}}}", t.name())).join(", ")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Token(Token),
}

/// Why a `KEY_TEMPLATE` was refused; each names the token or text at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown token {{{0}}}; known tokens: {known}", known = Token::known_list())]
    UnknownToken(String),
    #[error("has an unclosed '{{' or a stray '}}'")]
    Unbalanced,
    #[error("must contain {{{0}}} exactly once: without it two records could get one key")]
    Missing(&'static str),
    #[error("uses {{{0}}} more than once")]
    Repeated(&'static str),
    #[error(
        "{{{0}}} must be a whole segment (between '/'), so a key splits back into its parts in one way only"
    )]
    NotWholeSegment(&'static str),
    #[error(
        "starts with {0:?}: the first segment must be {{source}} or plain text, so a caller-chosen key cannot take a derived one"
    )]
    FirstSegment(String),
    #[error(
        "starts with {0:?}/, which is reserved for the canaries of {{\"action\": \"preflight\"}}; choose another first segment"
    )]
    ReservedFirstSegment(String),
    #[error(
        "has an empty, '.' or '..' segment (or starts or ends with '/'): keys stay under KEY_PREFIX"
    )]
    BadSegment,
    #[error("text {0:?} contains '%' or a control character, which only substituted values may")]
    BadLiteral(String),
}

/// Why a record's key could not be rendered from the template.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("KEY_TEMPLATE uses {{{0}}}, but the record has no event time")]
    NoEventTime(&'static str),
    #[error("KEY_TEMPLATE uses {{{token}}}, but the record's event time {time:?} is not RFC 3339")]
    BadEventTime { token: &'static str, time: String },
}

/// What a template may use beyond the identity parts in the [`Layout`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// When the source says the record happened, RFC 3339 (the `event-time` metadata).
    pub event_time: Option<&'a str>,
    /// The source's partition key (Kinesis `partitionKey`, SQS FIFO `MessageGroupId`, ...).
    pub partition_key: Option<&'a str>,
    /// The account the record comes from, where the event names it apart from
    /// any ARN (a CloudWatch Logs delivery's `owner`): `{account}`.
    pub account: Option<&'a str>,
    /// A CloudWatch Logs delivery's log group: `{log_group}`.
    pub log_group: Option<&'a str>,
}

impl<'a> Facts<'a> {
    /// A record with an event time and no partition key.
    pub fn at(event_time: &'a str) -> Self {
        Self {
            event_time: Some(event_time),
            ..Self::default()
        }
    }
}

/// A validated `KEY_TEMPLATE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTemplate {
    segments: Vec<Vec<Piece>>,
    text: String,
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl KeyTemplate {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let segments = text
            .split('/')
            .map(parse_segment)
            .collect::<Result<Vec<_>, _>>()?;
        for pieces in &segments {
            if pieces.is_empty()
                || matches!(pieces.as_slice(), [Piece::Literal(l)] if l == "." || l == "..")
            {
                return Err(TemplateError::BadSegment);
            }
        }
        for token in [Token::Source, Token::SourceName, Token::Id] {
            let mut uses = segments
                .iter()
                .flatten()
                .filter(|p| **p == Piece::Token(token));
            if uses.next().is_none() {
                return Err(TemplateError::Missing(token.name()));
            }
            if uses.next().is_some() {
                return Err(TemplateError::Repeated(token.name()));
            }
            if !segments
                .iter()
                .any(|s| s.as_slice() == [Piece::Token(token)])
            {
                return Err(TemplateError::NotWholeSegment(token.name()));
            }
        }
        match segments[0].as_slice() {
            [Piece::Literal(literal)] if literal == Namespace::Preflight.as_str() => {
                return Err(TemplateError::ReservedFirstSegment(literal.clone()));
            }
            [Piece::Token(Token::Source)] | [Piece::Literal(_)] => {}
            _ => {
                return Err(TemplateError::FirstSegment(
                    text.split('/').next().unwrap_or_default().to_owned(),
                ));
            }
        }
        Ok(Self {
            segments,
            text: text.to_owned(),
        })
    }

    /// The plain-text first segment, which caller-chosen keys may not start with.
    pub(super) fn leading_literal(&self) -> Option<&str> {
        match self.segments[0].as_slice() {
            [Piece::Literal(literal)] => Some(literal),
            _ => None,
        }
    }

    /// The key of a record below the prefix (not yet shortened), and where
    /// in it `{id}` was rendered (batch objects take that place).
    pub(super) fn render(
        &self,
        layout: &Layout<'_>,
        facts: Facts<'_>,
    ) -> Result<(String, Range<usize>), RenderError> {
        let time = self.event_time(facts.event_time)?;
        let mut out = String::new();
        let mut id = 0..0;
        for (n, pieces) in self.segments.iter().enumerate() {
            if n > 0 {
                out.push('/');
            }
            for piece in pieces {
                match piece {
                    Piece::Literal(text) => out.push_str(text),
                    Piece::Token(token) => {
                        let start = out.len();
                        render_token(&mut out, *token, layout, facts, time);
                        if *token == Token::Id {
                            id = start..out.len();
                        }
                    }
                }
            }
        }
        Ok((out, id))
    }

    /// The event time, parsed once, when a time token needs it.
    fn event_time(&self, time: Option<&str>) -> Result<Option<DateTime<Utc>>, RenderError> {
        let Some(token) = self.segments.iter().flatten().find_map(|p| match p {
            Piece::Token(t) if t.is_time() => Some(*t),
            _ => None,
        }) else {
            return Ok(None);
        };
        let text = time.ok_or(RenderError::NoEventTime(token.name()))?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| RenderError::BadEventTime {
                token: token.name(),
                time: text.to_owned(),
            })
    }
}

fn render_token(
    out: &mut String,
    token: Token,
    layout: &Layout<'_>,
    facts: Facts<'_>,
    time: Option<DateTime<Utc>>,
) {
    // `time` is Some whenever a time token is present (checked in `event_time`).
    let t = time.unwrap_or_default();
    let (value, width) = match token {
        Token::Source => return out.push_str(layout.namespace().as_str()),
        // A source without a name (SES, HTTP, direct) gets the empty segment's `%_`.
        Token::SourceName => return encode_segment(out, layout.source_name().unwrap_or(""), true),
        Token::Id => return layout.write_id(out),
        Token::PartitionKey => {
            return encode_segment(out, facts.partition_key.unwrap_or(""), true);
        }
        // Sources without them render the empty segment's `%_`, as {partition_key} does.
        Token::Account => return encode_segment(out, facts.account.unwrap_or(""), true),
        Token::LogGroup => return encode_segment(out, facts.log_group.unwrap_or(""), true),
        Token::Year => (t.year().unsigned_abs(), 4),
        Token::Month => (t.month(), 2),
        Token::Day => (t.day(), 2),
        Token::Hour => (t.hour(), 2),
        Token::Minute => (t.minute(), 2),
    };
    let _ = write!(out, "{value:0width$}");
}

fn parse_segment(segment: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            Some(0) if rest.starts_with('{') => {
                let end = rest.find('}').ok_or(TemplateError::Unbalanced)?;
                let name = &rest[1..end];
                if name.contains('{') {
                    return Err(TemplateError::Unbalanced);
                }
                let token = Token::ALL
                    .into_iter()
                    .find(|t| t.name() == name)
                    .ok_or_else(|| TemplateError::UnknownToken(name.to_owned()))?;
                pieces.push(Piece::Token(token));
                rest = &rest[end + 1..];
            }
            Some(0) => return Err(TemplateError::Unbalanced),
            found => {
                let end = found.unwrap_or(rest.len());
                let literal = &rest[..end];
                if literal.contains('%') || literal.chars().any(char::is_control) {
                    return Err(TemplateError::BadLiteral(literal.to_owned()));
                }
                pieces.push(Piece::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Part;
    use crate::source::Source;

    const HIVE: &str = "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}";

    fn render(template: &str, layout: Layout<'_>, facts: Facts<'_>) -> Result<String, RenderError> {
        let (key, id) = KeyTemplate::parse(template)
            .unwrap()
            .render(&layout, facts)?;
        // The span is the ID's own rendering, wherever the template puts it.
        let mut own = String::new();
        layout.write_id(&mut own);
        assert_eq!(key[id].to_owned(), own);
        Ok(key)
    }

    #[test]
    fn hive_partitions_from_the_event_time() {
        let sqs = Layout::new(Source::Sqs, Some("orders"), &[Part::Segment("m-1")]);
        // The event time in another zone still lands in its UTC hour.
        let facts = Facts::at("2026-12-02T01:30:00+02:00");
        assert_eq!(
            render(HIVE, sqs, facts).unwrap(),
            "sqs/orders/dt=2026-12-01/23/m-1"
        );
        let kinesis = Layout::new(
            Source::Kinesis,
            Some("clicks"),
            &[Part::Segment("shardId-000000000000"), Part::Segment("4959")],
        );
        let facts = Facts {
            event_time: Some("2026-01-05T07:08:09Z"),
            partition_key: Some("user/7"),
            ..Facts::default()
        };
        assert_eq!(
            render(
                "raw/{source}/{source_name}/{yyyy}{MM}{dd}{HH}{mm}/pk={partition_key}/{id}",
                kinesis,
                facts
            )
            .unwrap(),
            "raw/kinesis/clicks/202601050708/pk=user%2F7/shardId-000000000000/4959"
        );
    }

    #[test]
    fn sources_without_a_name_or_a_partition_key_get_the_empty_segment() {
        let http = Layout::new(Source::Http, None, &[Part::Segment("r")]);
        assert_eq!(
            render(
                "{source}/{source_name}/{partition_key}/{id}",
                http,
                Facts::default()
            )
            .unwrap(),
            "http/%_/%_/r"
        );
        let ses = Layout::new(Source::Ses, None, &[Part::Segment("x")]).with_suffix(".eml");
        assert_eq!(
            render("{source}/{source_name}/{id}", ses, Facts::default()).unwrap(),
            "ses/%_/x.eml"
        );
    }

    #[test]
    fn cloudwatch_logs_tokens_partition_by_account_and_log_group() {
        let id = [
            Part::Segment("/aws/lambda/orders"),
            Part::Segment("2026/12/05/[$LATEST]ab"),
            Part::Segment("d1"),
        ];
        let logs =
            Layout::new(Source::CloudWatchLogs, Some("123456789012"), &id).with_suffix(".ndjson");
        let facts = Facts {
            account: Some("123456789012"),
            log_group: Some("/aws/lambda/orders"),
            ..Facts::at("2026-12-05T21:30:00.123Z")
        };
        assert_eq!(
            render(
                "{source}/account={account}/group={log_group}/dt={yyyy}-{MM}-{dd}/{source_name}/{id}",
                logs,
                facts
            )
            .unwrap(),
            "logs/account=123456789012/group=%2Faws%2Flambda%2Forders/dt=2026-12-05/\
             123456789012/%2Faws%2Flambda%2Forders/2026%2F12%2F05%2F[$LATEST]ab/d1.ndjson"
        );
        // Other sources have neither: the empty segment's `%_`, like {partition_key}.
        let sqs = Layout::new(Source::Sqs, Some("q"), &[Part::Segment("m")]);
        assert_eq!(
            render(
                "{source}/{account}/{log_group}/{source_name}/{id}",
                sqs,
                Facts::at("2026-12-05T21:30:00.123Z")
            )
            .unwrap(),
            "sqs/%_/%_/q/m"
        );
    }

    #[test]
    fn time_tokens_need_an_rfc3339_event_time() {
        let direct = Layout::new(Source::Direct, None, &[Part::Segment("r"), Part::Number(0)])
            .grouped_by("r");
        assert_eq!(
            render(HIVE, direct, Facts::default()),
            Err(RenderError::NoEventTime("yyyy"))
        );
        assert_eq!(
            render(HIVE, direct, Facts::at("yesterday")),
            Err(RenderError::BadEventTime {
                token: "yyyy",
                time: "yesterday".into()
            })
        );
        // No time token: no time needed.
        assert_eq!(
            render("{source}/{source_name}/{id}", direct, Facts::default()).unwrap(),
            "direct/%_/r/0"
        );
    }

    #[test]
    fn templates_that_could_collide_or_escape_are_refused() {
        let cases = [
            (
                "{source}/{source_name}/{day}/{id}",
                TemplateError::UnknownToken("day".into()),
            ),
            (
                "{source}/{source_name}/{yyyy}",
                TemplateError::Missing("id"),
            ),
            ("{source_name}/x/{id}", TemplateError::Missing("source")),
            ("{source}/{id}", TemplateError::Missing("source_name")),
            (
                "{source}/{source_name}/{id}/{id}",
                TemplateError::Repeated("id"),
            ),
            (
                "{source}/{source_name}-{id}",
                TemplateError::NotWholeSegment("source_name"),
            ),
            (
                "{source}/{source_name}/id={id}",
                TemplateError::NotWholeSegment("id"),
            ),
            (
                "dt={yyyy}/{source}/{source_name}/{id}",
                TemplateError::FirstSegment("dt={yyyy}".into()),
            ),
            (
                "preflight/{source}/{source_name}/{id}",
                TemplateError::ReservedFirstSegment("preflight".into()),
            ),
            ("/{source}/{source_name}/{id}", TemplateError::BadSegment),
            ("{source}/{source_name}/{id}/", TemplateError::BadSegment),
            ("{source}//{source_name}/{id}", TemplateError::BadSegment),
            ("{source}/../{source_name}/{id}", TemplateError::BadSegment),
            (
                "{source}/{source_name}/50%/{id}",
                TemplateError::BadLiteral("50%".into()),
            ),
            (
                "{source}/{source_name}/a\tb/{id}",
                TemplateError::BadLiteral("a\tb".into()),
            ),
            (
                "{source}/{source_name}/{yyyy/{id}",
                TemplateError::Unbalanced,
            ),
            ("{source}/{source_name}/a}/{id}", TemplateError::Unbalanced),
        ];
        for (template, expected) in cases {
            assert_eq!(KeyTemplate::parse(template), Err(expected), "{template}");
        }
        let unknown = KeyTemplate::parse("{source}/{source_name}/{day}/{id}").unwrap_err();
        assert!(unknown.to_string().contains("{day}"), "{unknown}");
        assert!(KeyTemplate::parse(HIVE).is_ok());
        assert!(KeyTemplate::parse("lake/{source}/{source_name}/{id}").is_ok());
    }
}
