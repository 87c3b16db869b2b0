//! Object keys: the layout of every source, in one place, and always under the prefix.
//!
//! A key is the identity of a record in the bucket: the create-only PUT turns a
//! redelivery into a 412 on the same key, and the writer then checks that the
//! object there is the same record. That only holds if two different records
//! can never get one key, so the mapping here is **injective**:
//!
//! - every derived key starts with its source's [`Namespace`]; a caller-chosen
//!   key (direct invocation) may not start with one, so it can't squat a key
//!   another source derives;
//! - each identity part is one segment, encoded without loss: `%` becomes `%25`,
//!   `/` inside a name `%2F`, control characters `%XX`, a `.` or `..` segment
//!   `%2E` / `%2E%2E`, an empty segment `%_`. Numbers (a direct invocation's
//!   index, a Kafka partition and offset) are decimal segments. Only a source
//!   object's key keeps its `/` hierarchy, and it is always the last part, so
//!   parts can't shift into each other;
//! - a key longer than S3's 1024 bytes is cut and ends in `%~` and the SHA-256
//!   of the whole encoded key: `%~` never occurs in an uncut key, and SHA-256
//!   makes two cut keys equal only for equal inputs.
//!
//! Decoders hand over identity parts as a [`Layout`]; nothing else builds keys.
//! `KEY_TEMPLATE` ([`KeyTemplate`]) rearranges the same parts, under the same rules.

mod template;

use std::fmt;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::source::Source;

pub use template::{Facts, KeyTemplate, RenderError, TemplateError};

/// S3's limit on a key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;
/// `%~` and 64 hex digits of SHA-256: the tail of a shortened key.
const HASH_SUFFIX_BYTES: usize = 2 + 64;
/// A prefix may take at most half the key, leaving room for what the events add.
const MAX_PREFIX_BYTES: usize = MAX_KEY_BYTES / 2;

/// Why a prefix or a caller-given key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("is empty")]
    Empty,
    #[error("does not end with '/'")]
    NoTrailingSlash,
    #[error("starts with '/'; keys are relative to the bucket")]
    Absolute,
    #[error("has an empty, '.' or '..' segment (a trailing '/' makes an empty one)")]
    BadSegment,
    #[error("contains a control character")]
    ControlCharacter,
    #[error("is {len} bytes long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error(
        "starts with {0:?}/, which is reserved for keys the function derives from event IDs; \
         choose another first segment (reserved: {reserved})",
        reserved = Namespace::reserved_list()
    )]
    Reserved(&'static str),
    #[error(
        "starts with {0:?}/, the first segment of KEY_TEMPLATE, which is reserved for keys the \
         function derives; choose another first segment"
    )]
    ReservedByTemplate(String),
    #[error("{0}")]
    Template(#[from] RenderError),
}

/// The first segment of every derived key: its source's
/// ([`Source::namespace`]), or `batch` for a batched object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Records of one source.
    Source(Source),
    /// Batched objects (`OBJECT_MODE=batch`): many records in one object.
    Batch,
}

impl Namespace {
    /// Every namespace: the sources' in table order, then `batch`.
    pub const ALL: [Namespace; Source::ALL.len() + 1] = {
        let mut all = [Namespace::Batch; Source::ALL.len() + 1];
        let mut n = 0;
        while n < Source::ALL.len() {
            all[n] = Namespace::Source(Source::ALL[n]);
            n += 1;
        }
        all
    };

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source(source) => source.namespace(),
            Self::Batch => "batch",
        }
    }

    /// Whether records under it may share a batch object ([`Source::batches`]).
    pub fn batches(self) -> bool {
        matches!(self, Self::Source(source) if source.batches())
    }

    fn reserved_list() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

/// The identity parts of a record, per source: the whole key layout of the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout<'a> {
    /// `sqs/<queue>/<messageId>`
    Sqs { queue: &'a str, message_id: &'a str },
    /// `sns/<topic>/<MessageId>`
    Sns { topic: &'a str, message_id: &'a str },
    /// `events/<source>/<detail-type>/<id>`
    EventBridge {
        source: &'a str,
        detail_type: &'a str,
        id: &'a str,
    },
    /// `s3/<bucket>/<key, keeping its hierarchy>`
    S3 { bucket: &'a str, key: &'a str },
    /// `ses/<messageId>.json`
    SesNotification { message_id: &'a str },
    /// `ses/<messageId>.eml`
    SesRawMail { message_id: &'a str },
    /// `http/<requestId>`
    Http { request_id: &'a str },
    /// `direct/<request id>/<n>`
    Direct { request_id: &'a str, index: usize },
    /// `kinesis/<stream>/<shardId>/<sequenceNumber>`
    Kinesis {
        stream: &'a str,
        shard_id: &'a str,
        sequence_number: &'a str,
    },
    /// `dynamodb/<table>/<eventID>`
    DynamoDb { table: &'a str, event_id: &'a str },
    /// `kafka/<topic>/<partition>/<offset>` (the numbers in decimal)
    Kafka {
        topic: &'a str,
        partition: i64,
        offset: i64,
    },
    /// `logs/<owner>/<logGroup>/<logStream>/<digest>.ndjson`: one CloudWatch
    /// Logs subscription delivery, the digest naming its log events
    /// (`events/cloudwatch_logs.rs`). The owner account is its source name.
    CloudWatchLogs {
        owner: &'a str,
        log_group: &'a str,
        log_stream: &'a str,
        digest: &'a str,
    },
    /// `batch/<source>/<source name>/<digest>.ndjson`: one object holding a
    /// batch of records (`crate::batch`); the digest covers its whole content.
    Batch {
        source: &'a str,
        source_name: &'a str,
        digest: &'a str,
    },
}

impl Layout<'_> {
    fn namespace(&self) -> Namespace {
        let source = match self {
            Self::Sqs { .. } => Source::Sqs,
            Self::Sns { .. } => Source::Sns,
            Self::EventBridge { .. } => Source::EventBridge,
            Self::S3 { .. } => Source::S3,
            Self::SesNotification { .. } | Self::SesRawMail { .. } => Source::Ses,
            Self::Http { .. } => Source::Http,
            Self::Direct { .. } => Source::Direct,
            Self::Kinesis { .. } => Source::Kinesis,
            Self::DynamoDb { .. } => Source::DynamoDb,
            Self::Kafka { .. } => Source::Kafka,
            Self::CloudWatchLogs { .. } => Source::CloudWatchLogs,
            Self::Batch { .. } => return Namespace::Batch,
        };
        Namespace::Source(source)
    }

    /// Where the record is held: the source name, or a direct invocation's
    /// request ID; `None` for a batch object itself.
    fn origin(&self) -> Option<Origin> {
        let container = match *self {
            Self::Direct { request_id, .. } => request_id,
            Self::Batch { .. } => return None,
            _ => self.source_name().unwrap_or_default(),
        };
        Some(Origin {
            namespace: self.namespace(),
            container: container.to_owned(),
            frame: None,
        })
    }

    /// The queue, topic, EventBridge source, bucket, stream, table, Kafka topic
    /// or (CloudWatch Logs) the account owning the log group;
    /// `None` for sources without one (SES, HTTP, direct).
    fn source_name(&self) -> Option<&str> {
        match *self {
            Self::Sqs { queue: name, .. }
            | Self::Sns { topic: name, .. }
            | Self::EventBridge { source: name, .. }
            | Self::S3 { bucket: name, .. }
            | Self::Kinesis { stream: name, .. }
            | Self::DynamoDb { table: name, .. }
            | Self::Kafka { topic: name, .. }
            | Self::CloudWatchLogs { owner: name, .. } => Some(name),
            Self::SesNotification { .. }
            | Self::SesRawMail { .. }
            | Self::Http { .. }
            | Self::Direct { .. }
            | Self::Batch { .. } => None,
        }
    }

    /// Appends the record's ID within its source: one or more encoded segments.
    /// Only an S3 object key keeps its own `/` hierarchy (path segments).
    fn write_id(&self, out: &mut String) {
        let names: &[&str] = match self {
            Self::Sqs { message_id, .. } | Self::Sns { message_id, .. } => &[*message_id],
            Self::EventBridge {
                detail_type, id, ..
            } => &[*detail_type, *id],
            Self::S3 { key, .. } => {
                for (n, segment) in key.split('/').enumerate() {
                    if n > 0 {
                        out.push('/');
                    }
                    encode_segment(out, segment, false);
                }
                return;
            }
            Self::SesNotification { message_id } => {
                encode_segment(out, message_id, true);
                return out.push_str(".json");
            }
            Self::SesRawMail { message_id } => {
                encode_segment(out, message_id, true);
                return out.push_str(".eml");
            }
            Self::Http { request_id } => &[*request_id],
            Self::Direct { request_id, index } => {
                encode_segment(out, request_id, true);
                let _ = write!(out, "/{index}");
                return;
            }
            Self::Kinesis {
                shard_id,
                sequence_number,
                ..
            } => &[*shard_id, *sequence_number],
            Self::DynamoDb { event_id, .. } => &[*event_id],
            Self::Kafka {
                partition, offset, ..
            } => {
                let _ = write!(out, "{partition}/{offset}");
                return;
            }
            // Two names and a digest, as one object of many records.
            Self::CloudWatchLogs {
                log_group: first,
                log_stream: second,
                digest,
                ..
            }
            | Self::Batch {
                source: first,
                source_name: second,
                digest,
            } => {
                for (n, name) in [first, second, digest].into_iter().enumerate() {
                    if n > 0 {
                        out.push('/');
                    }
                    encode_segment(out, name, true);
                }
                return out.push_str(".ndjson");
            }
        };
        for (n, name) in names.iter().enumerate() {
            if n > 0 {
                out.push('/');
            }
            encode_segment(out, name, true);
        }
    }
}

/// The prefix every written key starts with (`KEY_PREFIX`), e.g. `incoming/`,
/// and the `KEY_TEMPLATE` below it, if one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrefix(String, Option<KeyTemplate>);

impl KeyPrefix {
    /// A prefix must already be clean: it is configuration, and must match the
    /// prefix in the target role's policy letter for letter, so it is never rewritten.
    pub fn parse(prefix: &str) -> Result<Self, KeyError> {
        if prefix.is_empty() {
            return Err(KeyError::Empty);
        }
        if prefix.starts_with('/') {
            return Err(KeyError::Absolute);
        }
        let Some(body) = prefix.strip_suffix('/') else {
            return Err(KeyError::NoTrailingSlash);
        };
        if prefix.chars().any(char::is_control) {
            return Err(KeyError::ControlCharacter);
        }
        if body.split('/').any(is_bad_segment) {
            return Err(KeyError::BadSegment);
        }
        if prefix.len() > MAX_PREFIX_BYTES {
            return Err(KeyError::TooLong {
                len: prefix.len(),
                max: MAX_PREFIX_BYTES,
            });
        }
        Ok(Self(prefix.to_owned(), None))
    }

    /// Keys below the prefix laid out by `template` instead of the per-source layout.
    pub fn with_template(self, template: KeyTemplate) -> Self {
        Self(self.0, Some(template))
    }

    pub fn template(&self) -> Option<&KeyTemplate> {
        self.1.as_ref()
    }

    /// The key of a record: by `KEY_TEMPLATE` when one is set, else [`Self::derived`].
    /// Fails only when the template needs an event time the record lacks.
    pub fn key(&self, layout: Layout<'_>, facts: Facts<'_>) -> Result<ObjectKey, KeyError> {
        match &self.1 {
            None => Ok(self.derived(layout)),
            Some(template) => {
                let (relative, id) = template.render(&layout, facts)?;
                let frame = Frame {
                    head: relative[..id.start].to_owned(),
                    tail: relative[id.end..].to_owned(),
                };
                let origin = layout.origin().map(|origin| Origin {
                    frame: Some(frame),
                    ..origin
                });
                let key = format!("{}{}", self.0, self.shortened(relative, 0));
                Ok(ObjectKey::new(key, origin))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of a record from its identity parts. Never fails, and distinct
    /// layouts always give distinct keys (see the module comment).
    pub fn derived(&self, layout: Layout<'_>) -> ObjectKey {
        let mut relative = String::from(layout.namespace().as_str());
        if let Some(name) = layout.source_name() {
            relative.push('/');
            encode_segment(&mut relative, name, true);
        }
        relative.push('/');
        layout.write_id(&mut relative);
        let key = format!("{}{}", self.0, self.shortened(relative, 0));
        ObjectKey::new(key, layout.origin())
    }

    /// The key of a batch object of records from `origin`, `digest` naming
    /// its content: laid out by `KEY_TEMPLATE` when the records' keys were
    /// (`<digest>.ndjson` where their `{id}` is, so a batch lands in the
    /// partition of its records), else `batch/<source>/<source name>/<digest>.ndjson`.
    pub fn batch(&self, origin: &Origin, digest: &str) -> ObjectKey {
        let Some(frame) = &origin.frame else {
            return self.derived(Layout::Batch {
                source: origin.namespace.as_str(),
                source_name: &origin.container,
                digest,
            });
        };
        let relative = format!("{}{digest}{}.ndjson", frame.head, frame.tail);
        ObjectKey::new(format!("{}{}", self.0, self.shortened(relative, 0)), None)
    }

    /// A key the caller named (direct invocation). It is used as given, so it
    /// must already be clean, and may not start with a namespace of derived
    /// keys. Refused rather than shortened when too long: silently renaming an
    /// object the caller asked for by name would surprise them.
    pub fn caller_given(&self, key: &str) -> Result<ObjectKey, KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.starts_with('/') {
            return Err(KeyError::Absolute);
        }
        if key.chars().any(char::is_control) {
            return Err(KeyError::ControlCharacter);
        }
        if key.split('/').any(is_bad_segment) {
            return Err(KeyError::BadSegment);
        }
        let first = key.split('/').next().unwrap_or_default();
        if let Some(ns) = Namespace::ALL.into_iter().find(|ns| ns.as_str() == first) {
            return Err(KeyError::Reserved(ns.as_str()));
        }
        if let Some(literal) = self.1.as_ref().and_then(KeyTemplate::leading_literal)
            && literal == first
        {
            return Err(KeyError::ReservedByTemplate(literal.to_owned()));
        }
        let len = self.0.len() + key.len();
        if len > MAX_KEY_BYTES {
            return Err(KeyError::TooLong {
                len,
                max: MAX_KEY_BYTES,
            });
        }
        Ok(ObjectKey::new(format!("{}{key}", self.0), None))
    }

    /// `key` with `suffix` (e.g. `.gz`) appended, still within S3's limit: a key
    /// that has no room left is cut as [`KeyPrefix::derived`] cuts, leaving room
    /// for the suffix, so the suffix always ends the key. Appending one suffix to
    /// every key keeps distinct keys distinct.
    pub fn with_suffix(&self, key: &ObjectKey, suffix: &str) -> ObjectKey {
        let relative = key
            .as_str()
            .strip_prefix(self.0.as_str())
            .unwrap_or(key.as_str());
        let shortened = self.shortened(relative.to_owned(), suffix.len());
        ObjectKey::new(format!("{}{shortened}{suffix}", self.0), key.origin.clone())
    }

    /// `relative` itself when it fits after the prefix (and `reserve` more
    /// bytes); else cut (never inside a character or a `%XX` escape) and ended
    /// with `%~<SHA-256 of the whole>`.
    fn shortened(&self, relative: String, reserve: usize) -> String {
        let budget = MAX_KEY_BYTES - self.0.len() - reserve;
        if relative.len() <= budget {
            return relative;
        }
        let mut cut = budget - HASH_SUFFIX_BYTES;
        while !relative.is_char_boundary(cut) || inside_escape(&relative, cut) {
            cut -= 1;
        }
        let digest = Sha256::digest(relative.as_bytes());
        let mut out = String::with_capacity(budget);
        out.push_str(&relative[..cut]);
        out.push_str("%~");
        out.push_str(&hex(&digest));
        out
    }
}

/// Lowercase hex of `bytes`: the digests in shortened keys, in `content-sha256`
/// metadata and in batch keys.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn is_bad_segment(segment: &str) -> bool {
    matches!(segment, "" | "." | "..")
}

/// Whether a cut at `at` would split a `%XX` escape.
fn inside_escape(s: &str, at: usize) -> bool {
    let bytes = s.as_bytes();
    (at >= 1 && bytes[at - 1] == b'%') || (at >= 2 && bytes[at - 2] == b'%')
}

/// Appends `segment`, encoded so that it decodes back to exactly itself and
/// can never be empty, `.` or `..`. `name` segments also encode `/` (a name is
/// one segment); path segments were split on it.
fn encode_segment(out: &mut String, segment: &str, name: bool) {
    match segment {
        "" => return out.push_str("%_"),
        "." => return out.push_str("%2E"),
        ".." => return out.push_str("%2E%2E"),
        _ => {}
    }
    for c in segment.chars() {
        if c == '%' || c.is_control() || (name && c == '/') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
}

/// A full object key, prefix included. Only [`KeyPrefix`] makes them. A key
/// is its text: two keys are equal when their text is.
#[derive(Clone, Debug)]
pub struct ObjectKey {
    key: String,
    /// What a derived key was derived from; `None` for a caller-given key.
    origin: Option<Origin>,
}

/// A derived key's source and the queue, topic, stream, table (or a direct
/// invocation's request ID) holding the record: what batch objects group by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub namespace: Namespace,
    pub container: String,
    /// Under `KEY_TEMPLATE`: the key rendered around `{id}`, which records
    /// of one partition (same source name, event hour, ...) share.
    pub frame: Option<Frame>,
}

/// A templated key but for its `{id}`: the text before and after it (below the prefix).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub head: String,
    pub tail: String,
}

impl ObjectKey {
    fn new(key: String, origin: Option<Origin>) -> Self {
        Self { key, origin }
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// Where a derived key came from, whatever `KEY_TEMPLATE` made of it;
    /// `None` for a key the caller named.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }
}

impl PartialEq for ObjectKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for ObjectKey {}

impl std::hash::Hash for ObjectKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn prefix() -> KeyPrefix {
        KeyPrefix::parse("incoming/").unwrap()
    }

    fn s3(key: &str) -> String {
        prefix()
            .derived(Layout::S3 { bucket: "b", key })
            .as_str()
            .to_owned()
    }

    #[test]
    fn prefixes_must_be_clean() {
        assert!(KeyPrefix::parse("incoming/").is_ok());
        assert!(KeyPrefix::parse("a/b/").is_ok());
        assert_eq!(KeyPrefix::parse(""), Err(KeyError::Empty));
        assert_eq!(KeyPrefix::parse("incoming"), Err(KeyError::NoTrailingSlash));
        assert_eq!(KeyPrefix::parse("/incoming/"), Err(KeyError::Absolute));
        assert_eq!(KeyPrefix::parse("a//b/"), Err(KeyError::BadSegment));
        assert_eq!(KeyPrefix::parse("../b/"), Err(KeyError::BadSegment));
        assert_eq!(KeyPrefix::parse("a\n/"), Err(KeyError::ControlCharacter));
    }

    #[test]
    fn layouts_of_each_source() {
        let p = prefix();
        let cases = [
            (
                Layout::Sqs {
                    queue: "q",
                    message_id: "m",
                },
                "incoming/sqs/q/m",
            ),
            (
                Layout::Sns {
                    topic: "t",
                    message_id: "m",
                },
                "incoming/sns/t/m",
            ),
            (
                Layout::EventBridge {
                    source: "demo.orders",
                    detail_type: "Order Placed/v2",
                    id: "e",
                },
                "incoming/events/demo.orders/Order Placed%2Fv2/e",
            ),
            (
                Layout::S3 {
                    bucket: "src",
                    key: "reports/2026/a.csv",
                },
                "incoming/s3/src/reports/2026/a.csv",
            ),
            (
                Layout::SesNotification { message_id: "x" },
                "incoming/ses/x.json",
            ),
            (Layout::SesRawMail { message_id: "x" }, "incoming/ses/x.eml"),
            (Layout::Http { request_id: "r" }, "incoming/http/r"),
            (
                Layout::Direct {
                    request_id: "r",
                    index: 3,
                },
                "incoming/direct/r/3",
            ),
            (
                Layout::Kinesis {
                    stream: "orders",
                    shard_id: "shardId-000000000001",
                    sequence_number: "4959",
                },
                "incoming/kinesis/orders/shardId-000000000001/4959",
            ),
            (
                Layout::DynamoDb {
                    table: "Orders",
                    event_id: "c4ca4238",
                },
                "incoming/dynamodb/Orders/c4ca4238",
            ),
            (
                Layout::Kafka {
                    topic: "orders.v1",
                    partition: 0,
                    offset: 15,
                },
                "incoming/kafka/orders.v1/0/15",
            ),
            (
                Layout::Kafka {
                    topic: "a/b",
                    partition: -1,
                    offset: 7,
                },
                "incoming/kafka/a%2Fb/-1/7",
            ),
            (
                Layout::Batch {
                    source: "sqs",
                    source_name: "writer-queue",
                    digest: "ab12",
                },
                "incoming/batch/sqs/writer-queue/ab12.ndjson",
            ),
            (
                Layout::CloudWatchLogs {
                    owner: "123456789012",
                    log_group: "/aws/lambda/orders",
                    log_stream: "2026/12/05/[$LATEST]ab",
                    digest: "d1",
                },
                "incoming/logs/123456789012/%2Faws%2Flambda%2Forders/2026%2F12%2F05%2F[$LATEST]ab/d1.ndjson",
            ),
        ];
        for (layout, expected) in cases {
            assert_eq!(p.derived(layout).as_str(), expected, "{layout:?}");
        }
    }

    #[test]
    fn keys_that_used_to_sanitize_alike_stay_apart() {
        // Each pair collided when bad segments were dropped or rewritten.
        let pairs = [
            ("a//b", "a/b"),
            ("./x", "x"),
            ("dir/", "dir"),
            ("..", "%2E%2E"),
            ("a\nb", "a%0Ab"),
            ("/x", "x"),
        ];
        for (a, b) in pairs {
            assert_ne!(s3(a), s3(b), "{a:?} vs {b:?}");
        }
        assert_eq!(s3("a//b"), "incoming/s3/b/a/%_/b");
        assert_eq!(s3("../x"), "incoming/s3/b/%2E%2E/x");
        assert_eq!(s3("100%/x\u{0}"), "incoming/s3/b/100%25/x%00");
    }

    #[test]
    fn parts_cannot_shift_into_each_other() {
        let p = prefix();
        let a = p.derived(Layout::EventBridge {
            source: "a/b",
            detail_type: "c",
            id: "d",
        });
        let b = p.derived(Layout::EventBridge {
            source: "a",
            detail_type: "b/c",
            id: "d",
        });
        assert_ne!(a, b);
        let notification = p.derived(Layout::SesNotification {
            message_id: "m.eml",
        });
        let raw = p.derived(Layout::SesRawMail {
            message_id: "m.json",
        });
        assert_ne!(notification, raw);
        let kinesis = |stream, shard_id, sequence_number| {
            p.derived(Layout::Kinesis {
                stream,
                shard_id,
                sequence_number,
            })
        };
        assert_ne!(kinesis("a/b", "c", "d"), kinesis("a", "b/c", "d"));
        assert_ne!(kinesis("a", "b/c", "d"), kinesis("a", "b", "c/d"));
        let kafka = |topic, partition, offset| {
            p.derived(Layout::Kafka {
                topic,
                partition,
                offset,
            })
        };
        assert_ne!(kafka("t/1", 2, 3), kafka("t", 12, 3));
        assert_ne!(kafka("t", 1, 23), kafka("t", 12, 3));
        assert_ne!(kafka("t", -1, 3), kafka("t", 1, 3));
        // A log group name is full of '/': one segment all the same.
        let logs = |log_group, log_stream| {
            p.derived(Layout::CloudWatchLogs {
                owner: "1",
                log_group,
                log_stream,
                digest: "d",
            })
        };
        assert_ne!(logs("/aws/a", "b"), logs("/aws", "a/b"));
        assert_ne!(logs("a", "b/d"), logs("a/b", "d"));
    }

    #[test]
    fn long_keys_are_cut_and_end_in_a_sha256() {
        let long = s3(&"x".repeat(2000));
        assert_eq!(long.len(), MAX_KEY_BYTES);
        let tail = long.rsplit("%~").next().unwrap();
        assert_eq!(tail.len(), 64);
        assert!(tail.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(long, s3(&format!("{}y", "x".repeat(1999))));
        // The cut form itself, given literally, is a different key.
        let literal = long.strip_prefix("incoming/s3/b/").unwrap();
        assert_ne!(s3(literal), long);
        // A cut never splits an escape.
        let escaped = s3(&"%".repeat(700));
        let head = escaped.rsplit_once("%~").unwrap().0;
        assert!(head.ends_with("%25"), "{head}");
    }

    #[test]
    fn caller_keys_must_be_clean_and_outside_the_namespaces() {
        let p = prefix();
        assert_eq!(
            p.caller_given("reports/a.csv").unwrap().as_str(),
            "incoming/reports/a.csv"
        );
        assert_eq!(p.caller_given(""), Err(KeyError::Empty));
        assert_eq!(p.caller_given("/abs"), Err(KeyError::Absolute));
        assert_eq!(p.caller_given("a//b"), Err(KeyError::BadSegment));
        assert_eq!(p.caller_given("../x"), Err(KeyError::BadSegment));
        assert_eq!(p.caller_given("dir/"), Err(KeyError::BadSegment));
        assert_eq!(p.caller_given("a\nb"), Err(KeyError::ControlCharacter));
        assert_eq!(
            p.caller_given("sqs/writer-queue/m-1"),
            Err(KeyError::Reserved("sqs"))
        );
        assert!(p.caller_given("sqsx/m").is_ok());
        assert!(matches!(
            p.caller_given(&"k".repeat(1020)),
            Err(KeyError::TooLong { .. })
        ));
    }

    #[test]
    fn a_templates_leading_text_is_reserved_for_derived_keys() {
        let p =
            prefix().with_template(KeyTemplate::parse("lake/{source}/{source_name}/{id}").unwrap());
        assert_eq!(
            p.caller_given("lake/sqs/q/m"),
            Err(KeyError::ReservedByTemplate("lake".into()))
        );
        assert!(p.caller_given("lakes/x").is_ok());
        assert_eq!(
            p.key(
                Layout::Sqs {
                    queue: "q",
                    message_id: "m"
                },
                Facts::default()
            )
            .unwrap()
            .as_str(),
            "incoming/lake/sqs/q/m"
        );
    }

    #[test]
    fn namespaces_are_distinct_and_reserved_for_derived_keys() {
        let p = prefix();
        let names: std::collections::HashSet<&str> =
            Namespace::ALL.iter().map(|ns| ns.as_str()).collect();
        assert_eq!(names.len(), Namespace::ALL.len());
        for ns in Namespace::ALL {
            assert_eq!(
                p.caller_given(&format!("{}/x", ns.as_str())),
                Err(KeyError::Reserved(ns.as_str()))
            );
        }
    }

    /// What every key the function writes must satisfy.
    fn assert_safe(p: &KeyPrefix, key: &ObjectKey) {
        let k = key.as_str();
        assert!(k.starts_with(p.as_str()), "{k:?} escapes the prefix");
        assert!(k.len() <= MAX_KEY_BYTES, "{} bytes", k.len());
        assert!(
            !k.chars().any(char::is_control),
            "{k:?} has a control character"
        );
        let relative = &k[p.as_str().len()..];
        for segment in relative.split('/') {
            assert!(!is_bad_segment(segment), "{k:?} has segment {segment:?}");
        }
    }

    /// How many variants [`layout`] covers: every one of [`Layout`].
    const VARIANTS: u8 = 13;

    /// Layouts from a few generated strings and numbers, covering every variant.
    fn layout<'a>(variant: u8, a: &'a str, b: &'a str, c: &'a str, n: usize, m: i64) -> Layout<'a> {
        match variant % VARIANTS {
            0 => Layout::Sqs {
                queue: a,
                message_id: b,
            },
            1 => Layout::Sns {
                topic: a,
                message_id: b,
            },
            2 => Layout::EventBridge {
                source: a,
                detail_type: b,
                id: c,
            },
            3 => Layout::S3 { bucket: a, key: b },
            4 => Layout::SesNotification { message_id: a },
            5 => Layout::SesRawMail { message_id: a },
            6 => Layout::Http { request_id: a },
            7 => Layout::Direct {
                request_id: a,
                index: n,
            },
            8 => Layout::Kinesis {
                stream: a,
                shard_id: b,
                sequence_number: c,
            },
            9 => Layout::DynamoDb {
                table: a,
                event_id: b,
            },
            10 => Layout::Kafka {
                topic: a,
                partition: n as i64 - 1,
                offset: m,
            },
            11 => Layout::Batch {
                source: a,
                source_name: b,
                digest: c,
            },
            _ => Layout::CloudWatchLogs {
                owner: a,
                log_group: b,
                log_stream: c,
                digest: ["", "d", "d.ndjson"][n % 3],
            },
        }
    }

    /// Valid templates: {source} or plain text first, {id} in several places.
    const TEMPLATES: [&str; 5] = [
        "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}",
        "lake/{source}/{source_name}/{id}",
        "{source}/{id}/{source_name}/{mm}",
        "x/{yyyy}/{source_name}/pk={partition_key}/{id}/{source}/{MM}{dd}",
        "{source}/acct={account}/{log_group}/{source_name}/{yyyy}/{id}",
    ];

    fn pick<T>(same: bool, one: T, two: T) -> T {
        if same { one } else { two }
    }

    /// Seconds since the epoch, from 1900 to 2200.
    const TIMES: std::ops::Range<i64> = -2_208_988_800..7_258_118_400;

    fn time(seconds: i64) -> String {
        chrono::DateTime::from_timestamp(seconds, 0)
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn keys_know_their_origin_whatever_the_template() {
        let origin = |p: &KeyPrefix, layout| {
            p.key(layout, Facts::default())
                .unwrap()
                .origin()
                .map(|o| (o.namespace, o.container.clone()))
        };
        let sqs = Layout::Sqs {
            queue: "q/1",
            message_id: "m",
        };
        let direct = Layout::Direct {
            request_id: "r",
            index: 0,
        };
        let templated =
            prefix().with_template(KeyTemplate::parse("lake/{source}/{source_name}/{id}").unwrap());
        for p in [prefix(), templated] {
            assert_eq!(
                origin(&p, sqs),
                Some((Namespace::Source(Source::Sqs), "q/1".to_owned()))
            );
            assert_eq!(
                origin(&p, direct),
                Some((Namespace::Source(Source::Direct), "r".to_owned()))
            );
        }
        assert_eq!(prefix().caller_given("reports/a").unwrap().origin(), None);
    }

    #[test]
    fn suffixes_end_every_key_even_a_cut_one() {
        let p = prefix();
        let short = p.derived(Layout::Http { request_id: "r" });
        assert_eq!(p.with_suffix(&short, ".gz").as_str(), "incoming/http/r.gz");
        let long = p.derived(Layout::Http {
            request_id: &"x".repeat(1100),
        });
        let gz = p.with_suffix(&long, ".gz");
        assert!(gz.as_str().ends_with(".gz") && gz.as_str().len() <= MAX_KEY_BYTES);
        assert!(gz.as_str().contains("%~"));
    }

    const HOSTILE: &str = "(\\.\\.|\\.|/|%|%2E|%_|%~|a|\u{0}|\n|é|\u{10FFFF}){0,6}";

    proptest! {
        #[test]
        fn distinct_layouts_give_distinct_keys(
            v1 in 0u8..VARIANTS, a1 in HOSTILE, b1 in HOSTILE, c1 in HOSTILE, n1 in 0usize..3, m1 in -12i64..13,
            v2 in 0u8..VARIANTS, a2 in HOSTILE, b2 in HOSTILE, c2 in HOSTILE, n2 in 0usize..3, m2 in -12i64..13,
        ) {
            let p = prefix();
            let (l1, l2) = (layout(v1, &a1, &b1, &c1, n1, m1), layout(v2, &a2, &b2, &c2, n2, m2));
            // Compare what the layouts identify (unused fields don't count).
            let same = format!("{l1:?}") == format!("{l2:?}");
            prop_assert_eq!(same, p.derived(l1) == p.derived(l2), "{:?} / {:?}", l1, l2);
        }

        #[test]
        fn suffixed_keys_stay_distinct_and_safe(
            v1 in 0u8..VARIANTS, a1 in HOSTILE, b1 in "[a/%.]{0,1100}", c1 in HOSTILE, m1 in -12i64..13,
            v2 in 0u8..VARIANTS, a2 in HOSTILE, b2 in "[a/%.]{0,1100}", c2 in HOSTILE, m2 in -12i64..13,
        ) {
            let p = prefix();
            let (l1, l2) = (layout(v1, &a1, &b1, &c1, 1, m1), layout(v2, &a2, &b2, &c2, 1, m2));
            let (k1, k2) = (p.with_suffix(&p.derived(l1), ".gz"), p.with_suffix(&p.derived(l2), ".gz"));
            assert_safe(&p, &k1);
            prop_assert!(k1.as_str().ends_with(".gz"));
            prop_assert_eq!(p.derived(l1) == p.derived(l2), k1 == k2, "{:?} / {:?}", l1, l2);
        }

        #[test]
        fn long_distinct_keys_stay_distinct(a in "[a/%.]{900,1200}", b in "[a/%.]{900,1200}") {
            prop_assume!(a != b);
            prop_assert_ne!(s3(&a), s3(&b));
        }

        #[test]
        fn derived_keys_are_always_safe(v in 0u8..VARIANTS, a in any::<String>(), b in "(\\.\\.|\\.|/|a|\u{0}|é){0,700}", c in any::<String>(), m in any::<i64>()) {
            let p = prefix();
            let key = p.derived(layout(v, &a, &b, &c, 1, m));
            assert_safe(&p, &key);
            prop_assert_eq!(&key, &p.derived(layout(v, &a, &b, &c, 1, m)), "deterministic");
        }

        #[test]
        fn no_caller_key_equals_a_derived_key(v in 0u8..VARIANTS, a in HOSTILE, b in HOSTILE, c in HOSTILE, m in any::<i64>()) {
            let p = prefix();
            let derived = p.derived(layout(v, &a, &b, &c, 0, m));
            let relative = &derived.as_str()[p.as_str().len()..];
            prop_assert!(p.caller_given(relative).is_err(), "{relative:?} was accepted");
        }

        #[test]
        fn caller_keys_are_safe_when_accepted(key in "(\\.\\.|\\.|/|[a-z]|\u{1}|\u{85}|ü){0,1100}") {
            let p = prefix();
            if let Ok(k) = p.caller_given(&key) {
                assert_safe(&p, &k);
                prop_assert_eq!(&k.as_str()[p.as_str().len()..], key.as_str(), "used as given");
            }
        }

        #[test]
        fn templated_keys_are_injective_safe_and_deterministic(
            t in 0usize..TEMPLATES.len(),
            v1 in 0u8..VARIANTS, a1 in HOSTILE, b1 in HOSTILE, c1 in HOSTILE, n1 in 0usize..3, m1 in -12i64..13, s1 in TIMES, k1 in HOSTILE,
            v2 in 0u8..VARIANTS, a2 in HOSTILE, b2 in HOSTILE, c2 in HOSTILE, n2 in 0usize..3, m2 in -12i64..13, s2 in TIMES, k2 in HOSTILE,
            // The second record shares most parts with the first: near misses, not strangers.
            same in any::<[bool; 6]>(),
        ) {
            let (v2, a2, b2, c2) = (pick(same[0], v1, v2), pick(same[1], &a1, &a2), pick(same[2], &b1, &b2), pick(same[3], &c1, &c2));
            let (n2, m2) = (pick(same[4], n1, n2), pick(same[5], m1, m2));
            let p = prefix().with_template(KeyTemplate::parse(TEMPLATES[t]).unwrap());
            let (l1, l2) = (layout(v1, &a1, &b1, &c1, n1, m1), layout(v2, a2, b2, c2, n2, m2));
            let (t1, t2) = (time(s1), time(s2));
            let f1 = Facts { event_time: Some(&t1), partition_key: Some(&k1) };
            let f2 = Facts { event_time: Some(&t2), partition_key: Some(&k2) };
            let (key1, key2) = (p.key(l1, f1).unwrap(), p.key(l2, f2).unwrap());
            assert_safe(&p, &key1);
            prop_assert_eq!(&key1, &p.key(l1, f1).unwrap(), "deterministic");
            // Whatever the times and partition keys: distinct records, distinct keys.
            if format!("{l1:?}") != format!("{l2:?}") {
                prop_assert_ne!(&key1, &key2, "{:?} / {:?}", l1, l2);
            }
            // A caller-chosen key never takes a templated one.
            let relative = &key1.as_str()[p.as_str().len()..];
            prop_assert!(p.caller_given(relative).is_err(), "{relative:?} was accepted");
        }

        #[test]
        fn any_valid_prefix_keeps_keys_inside(prefix in "[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,3}/", part in any::<String>()) {
            if let Ok(p) = KeyPrefix::parse(&prefix) {
                assert_safe(&p, &p.derived(Layout::S3 { bucket: "b", key: &part }));
            }
        }
    }
}
