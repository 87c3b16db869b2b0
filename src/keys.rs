//! Object keys: how every key is encoded, in one place, and always under the prefix.
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
//! Decoders state their key shape as a [`Layout`] of identity [`Part`]s; this
//! module never names a source, and nothing else builds keys.
//! `KEY_TEMPLATE` ([`KeyTemplate`]) rearranges the same parts, under the same rules.

mod template;

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

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
    /// The canaries of `{"action": "preflight"}` ([`KeyPrefix::preflight_canary`]):
    /// no record's key, derived, caller-chosen or templated, starts with it.
    Preflight,
}

impl Namespace {
    /// Every namespace: the sources' in table order, then `batch`, then `preflight`.
    pub const ALL: [Namespace; Source::ALL.len() + 2] = {
        let mut all = [Namespace::Batch; Source::ALL.len() + 2];
        let mut n = 0;
        while n < Source::ALL.len() {
            all[n] = Namespace::Source(Source::ALL[n]);
            n += 1;
        }
        all[Source::ALL.len() + 1] = Namespace::Preflight;
        all
    };

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source(source) => source.namespace(),
            Self::Batch => "batch",
            Self::Preflight => "preflight",
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

/// One part of a record's identity within its source (see [`Layout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part<'a> {
    /// One segment, encoded without loss (a `/` in it is `%2F`).
    Segment(&'a str),
    /// A decimal number (an index, a partition, an offset).
    Number(i64),
    /// A source object's key, keeping its `/` hierarchy: only ever the last part.
    Path(&'a str),
}

/// A record's key, source-agnostic: `<namespace>[/<container>]/<id parts><suffix>`.
/// Each decoder states its own shape with one (e.g. `sqs/<queue>/<messageId>`
/// is `Layout::new(Source::Sqs, Some(queue), &[Part::Segment(id)])`); this
/// module encodes every shape under the same rules (module comment). For the
/// keys of distinct records to stay distinct, a source keeps **one shape**: the
/// same container or none, the same kinds of parts in the same order, and the
/// same suffix. A source with two shapes tells them apart by suffixes of which
/// neither ends the other (SES: `.json`, `.eml`), or, when neither has a path
/// part, by their number of parts (Kinesis: `<shardId>/<sequenceNumber>`, and
/// `/<n>` after it for a KPL user record): every other part is one segment, so
/// keys of such shapes differ in their number of segments, under any template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout<'a> {
    namespace: Namespace,
    container: Option<&'a str>,
    id: &'a [Part<'a>],
    suffix: &'static str,
    group: Option<&'a str>,
}

impl<'a> Layout<'a> {
    /// `container` is the queue, topic, bucket, stream, table... holding the
    /// record (the template's `{source_name}`), `None` for a source without one;
    /// `id` the record's ID within it (the template's `{id}`).
    pub fn new(source: Source, container: Option<&'a str>, id: &'a [Part<'a>]) -> Self {
        Self::in_namespace(Namespace::Source(source), container, id)
    }

    fn in_namespace(namespace: Namespace, container: Option<&'a str>, id: &'a [Part<'a>]) -> Self {
        debug_assert!(!id.is_empty(), "a key needs an ID");
        debug_assert!(
            !id[..id.len() - 1]
                .iter()
                .any(|p| matches!(p, Part::Path(_))),
            "a path part may only be the last"
        );
        Self {
            namespace,
            container,
            id,
            suffix: "",
            group: None,
        }
    }

    /// A fixed ending after the ID, e.g. `.json`: a `.` and letters only.
    pub fn with_suffix(self, suffix: &'static str) -> Self {
        debug_assert!(
            suffix
                .strip_prefix('.')
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())),
            "suffix {suffix:?}"
        );
        Self { suffix, ..self }
    }

    /// What the record's batch groups by, for a source without a container
    /// whose records still batch per invocation (a direct invocation's request ID).
    pub fn grouped_by(self, group: &'a str) -> Self {
        Self {
            group: Some(group),
            ..self
        }
    }

    fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// Where the record is held: its container, or what it is grouped by;
    /// `None` for a batch object itself.
    fn origin(&self, prefix: &Arc<str>) -> Option<Origin> {
        if self.namespace == Namespace::Batch {
            return None;
        }
        Some(Origin {
            namespace: self.namespace,
            container: self.group.or(self.container).unwrap_or_default().to_owned(),
            frame: None,
            prefix: Arc::clone(prefix),
        })
    }

    /// The key below the prefix, not yet shortened.
    fn relative(&self) -> String {
        let mut relative = String::from(self.namespace.as_str());
        if let Some(name) = self.source_name() {
            relative.push('/');
            encode_segment(&mut relative, name, true);
        }
        relative.push('/');
        self.write_id(&mut relative);
        relative
    }

    /// The queue, topic, EventBridge source, bucket, stream, table or Kafka topic;
    /// `None` for sources without one (SES, HTTP, direct).
    fn source_name(&self) -> Option<&str> {
        self.container
    }

    /// Appends the record's ID within its source: one or more encoded segments,
    /// then the suffix. Only a path part keeps its own `/` hierarchy.
    fn write_id(&self, out: &mut String) {
        for (n, part) in self.id.iter().enumerate() {
            if n > 0 {
                out.push('/');
            }
            match *part {
                Part::Segment(name) => encode_segment(out, name, true),
                Part::Number(number) => {
                    let _ = write!(out, "{number}");
                }
                Part::Path(path) => {
                    for (n, segment) in path.split('/').enumerate() {
                        if n > 0 {
                            out.push('/');
                        }
                        encode_segment(out, segment, false);
                    }
                }
            }
        }
        out.push_str(self.suffix);
    }
}

/// The prefix every written key starts with (`KEY_PREFIX`), e.g. `incoming/`,
/// and the `KEY_TEMPLATE` below it, if one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrefix(Arc<str>, Option<KeyTemplate>);

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
        Ok(Self(prefix.into(), None))
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
                let origin = layout.origin(&self.0).map(|origin| Origin {
                    frame: Some(frame),
                    ..origin
                });
                Ok(ObjectKey::derived(&self.0, relative, origin))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of a record from its identity parts. Never fails, and distinct
    /// layouts always give distinct keys (see the module comment).
    pub fn derived(&self, layout: Layout<'_>) -> ObjectKey {
        ObjectKey::derived(&self.0, layout.relative(), layout.origin(&self.0))
    }

    /// The canary key of one preflight run: `<prefix>preflight/<stamp>-<request id>`
    /// (the request ID encoded as one segment). No record's key can be it: derived
    /// keys start with a source's namespace or `batch`, caller-chosen keys may not
    /// start with `preflight/`, and a `KEY_TEMPLATE` may not start with it either.
    pub fn preflight_canary(&self, stamp: &str, request_id: &str) -> ObjectKey {
        let name = format!("{stamp}-{request_id}");
        let id = [Part::Segment(&name)];
        let relative = Layout::in_namespace(Namespace::Preflight, None, &id).relative();
        ObjectKey::derived(&self.0, relative, None)
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
        Ok(ObjectKey {
            key: format!("{}{key}", self.0),
            prefix_len: self.0.len(),
            origin: None,
            named: true,
        })
    }
}

/// `relative` itself when it fits after a prefix of `prefix_len` bytes (and
/// `reserve` more bytes); else cut (never inside a character or a `%XX`
/// escape) and ended with `%~<SHA-256 of the whole>`.
fn shortened(prefix_len: usize, relative: String, reserve: usize) -> String {
    let budget = MAX_KEY_BYTES - prefix_len - reserve;
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

/// A full object key, prefix included. Only this module makes them
/// ([`KeyPrefix`] a record's, [`Origin::batch_key`] a batch's,
/// [`ObjectKey::compressed`] the `.gz` of either). A key is its text: two keys
/// are equal when their text is.
#[derive(Clone, Debug)]
pub struct ObjectKey {
    key: String,
    /// How many bytes of `key` are the prefix.
    prefix_len: usize,
    /// What a record's derived key was derived from; `None` for a caller-given
    /// key and a batch object's.
    origin: Option<Origin>,
    /// Named by the caller (direct invocation): kept exactly as named.
    named: bool,
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
    /// The prefix the records' keys are under, and their batch's is.
    prefix: Arc<str>,
}

impl Origin {
    /// The key of a batch object of records from here, `digest` naming its
    /// content: laid out by `KEY_TEMPLATE` when the records' keys were
    /// (`<digest>.ndjson` where their `{id}` is, so a batch lands in the
    /// partition of its records), else `batch/<source>/<source name>/<digest>.ndjson`.
    pub fn batch_key(&self, digest: &str) -> ObjectKey {
        let relative = match &self.frame {
            Some(frame) => format!("{}{digest}{}.ndjson", frame.head, frame.tail),
            None => {
                let id = [
                    Part::Segment(self.namespace.as_str()),
                    Part::Segment(&self.container),
                    Part::Segment(digest),
                ];
                Layout::in_namespace(Namespace::Batch, None, &id)
                    .with_suffix(".ndjson")
                    .relative()
            }
        };
        ObjectKey::derived(&self.prefix, relative, None)
    }
}

/// A templated key but for its `{id}`: the text before and after it (below the prefix).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub head: String,
    pub tail: String,
}

impl ObjectKey {
    /// `prefix` and `relative`, shortened to fit.
    fn derived(prefix: &str, relative: String, origin: Option<Origin>) -> Self {
        Self {
            key: format!("{prefix}{}", shortened(prefix.len(), relative, 0)),
            prefix_len: prefix.len(),
            origin,
            named: false,
        }
    }

    /// The key of the object compressed (`CONTENT_ENCODING=gzip`): a derived
    /// key (a record's or a batch's) ends in `.gz`, still within S3's limit
    /// (a key with no room left is cut as every derived key is, leaving room
    /// for the suffix, so `.gz` always ends it; distinct keys stay distinct);
    /// a caller-named key is kept as the caller named it.
    pub fn compressed(&self) -> ObjectKey {
        if self.named {
            return self.clone();
        }
        const GZ: &str = ".gz";
        let (prefix, relative) = self.key.split_at(self.prefix_len);
        let relative = shortened(self.prefix_len, relative.to_owned(), GZ.len());
        Self {
            key: format!("{prefix}{relative}{GZ}"),
            prefix_len: self.prefix_len,
            origin: self.origin.clone(),
            named: false,
        }
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
            .derived(Layout::new(Source::S3, Some("b"), &[Part::Path(key)]))
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
                Layout::new(Source::Sqs, Some("q"), &[Part::Segment("m")]),
                "incoming/sqs/q/m",
            ),
            (
                Layout::new(Source::Sns, Some("t"), &[Part::Segment("m")]),
                "incoming/sns/t/m",
            ),
            (
                Layout::new(
                    Source::EventBridge,
                    Some("demo.orders"),
                    &[Part::Segment("Order Placed/v2"), Part::Segment("e")],
                ),
                "incoming/events/demo.orders/Order Placed%2Fv2/e",
            ),
            (
                Layout::new(Source::S3, Some("src"), &[Part::Path("reports/2026/a.csv")]),
                "incoming/s3/src/reports/2026/a.csv",
            ),
            (
                Layout::new(Source::Ses, None, &[Part::Segment("x")]).with_suffix(".json"),
                "incoming/ses/x.json",
            ),
            (
                Layout::new(Source::Ses, None, &[Part::Segment("x")]).with_suffix(".eml"),
                "incoming/ses/x.eml",
            ),
            (
                Layout::new(Source::Http, None, &[Part::Segment("r")]),
                "incoming/http/r",
            ),
            (
                Layout::new(Source::Direct, None, &[Part::Segment("r"), Part::Number(3)])
                    .grouped_by("r"),
                "incoming/direct/r/3",
            ),
            (
                Layout::new(
                    Source::Kinesis,
                    Some("orders"),
                    &[Part::Segment("shardId-000000000001"), Part::Segment("4959")],
                ),
                "incoming/kinesis/orders/shardId-000000000001/4959",
            ),
            (
                Layout::new(
                    Source::Kinesis,
                    Some("orders"),
                    &[
                        Part::Segment("shardId-000000000001"),
                        Part::Segment("4959"),
                        Part::Number(2),
                    ],
                ),
                "incoming/kinesis/orders/shardId-000000000001/4959/2",
            ),
            (
                Layout::new(
                    Source::CloudWatchLogs,
                    Some("123456789012"),
                    &[
                        Part::Segment("/aws/lambda/orders"),
                        Part::Segment("2026/12/05/[$LATEST]ab"),
                        Part::Segment("d1"),
                    ],
                )
                .with_suffix(".ndjson"),
                "incoming/logs/123456789012/%2Faws%2Flambda%2Forders/2026%2F12%2F05%2F[$LATEST]ab/d1.ndjson",
            ),
            (
                Layout::new(
                    Source::DynamoDb,
                    Some("Orders"),
                    &[Part::Segment("c4ca4238")],
                ),
                "incoming/dynamodb/Orders/c4ca4238",
            ),
            (
                Layout::new(
                    Source::Kafka,
                    Some("orders.v1"),
                    &[Part::Number(0), Part::Number(15)],
                ),
                "incoming/kafka/orders.v1/0/15",
            ),
            (
                Layout::new(
                    Source::Kafka,
                    Some("a/b"),
                    &[Part::Number(-1), Part::Number(7)],
                ),
                "incoming/kafka/a%2Fb/-1/7",
            ),
            (
                Layout::in_namespace(
                    Namespace::Batch,
                    None,
                    &[
                        Part::Segment("sqs"),
                        Part::Segment("writer-queue"),
                        Part::Segment("ab12"),
                    ],
                )
                .with_suffix(".ndjson"),
                "incoming/batch/sqs/writer-queue/ab12.ndjson",
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
        let eventbridge = |source, detail_type, id| {
            p.derived(Layout::new(
                Source::EventBridge,
                Some(source),
                &[Part::Segment(detail_type), Part::Segment(id)],
            ))
        };
        assert_ne!(eventbridge("a/b", "c", "d"), eventbridge("a", "b/c", "d"));
        let ses = |message_id, suffix| {
            p.derived(
                Layout::new(Source::Ses, None, &[Part::Segment(message_id)]).with_suffix(suffix),
            )
        };
        assert_ne!(ses("m.eml", ".json"), ses("m.json", ".eml"));
        // A KPL user record never takes a plain Kinesis record's key, nor another's.
        let kinesis = |shard, sequence, user_record: Option<i64>| {
            let plain = [Part::Segment(shard), Part::Segment(sequence)];
            let aggregated = user_record.map(|n| [plain[0], plain[1], Part::Number(n)]);
            let id: &[Part<'_>] = match &aggregated {
                Some(parts) => parts,
                None => &plain,
            };
            p.derived(Layout::new(Source::Kinesis, Some("s"), id))
        };
        assert_ne!(kinesis("b", "c/0", None), kinesis("b", "c", Some(0)));
        assert_ne!(kinesis("b/c", "0", None), kinesis("b", "c", Some(0)));
        assert_ne!(kinesis("b", "c0", None), kinesis("b", "c", Some(0)));
        assert_ne!(kinesis("b", "c", Some(1)), kinesis("b", "c", Some(10)));
        let kinesis = |stream, shard_id, sequence_number| {
            p.derived(Layout::new(
                Source::Kinesis,
                Some(stream),
                &[Part::Segment(shard_id), Part::Segment(sequence_number)],
            ))
        };
        assert_ne!(kinesis("a/b", "c", "d"), kinesis("a", "b/c", "d"));
        assert_ne!(kinesis("a", "b/c", "d"), kinesis("a", "b", "c/d"));
        let kafka = |topic, partition, offset| {
            p.derived(Layout::new(
                Source::Kafka,
                Some(topic),
                &[Part::Number(partition), Part::Number(offset)],
            ))
        };
        assert_ne!(kafka("t/1", 2, 3), kafka("t", 12, 3));
        assert_ne!(kafka("t", 1, 23), kafka("t", 12, 3));
        assert_ne!(kafka("t", -1, 3), kafka("t", 1, 3));
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
                Layout::new(Source::Sqs, Some("q"), &[Part::Segment("m")]),
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

    #[test]
    fn the_preflight_canary_is_its_own_namespace_and_no_record_can_take_it() {
        let p = prefix();
        assert!(Namespace::ALL.contains(&Namespace::Preflight));
        assert_eq!(
            p.preflight_canary("20261206T010203Z", "req/1").as_str(),
            "incoming/preflight/20261206T010203Z-req%2F1"
        );
        // A caller-chosen key may not start with it...
        assert_eq!(
            p.caller_given("preflight/20261206T010203Z-req"),
            Err(KeyError::Reserved("preflight"))
        );
        // ...nor a template's leading text...
        assert_eq!(
            KeyTemplate::parse("preflight/{source}/{source_name}/{id}"),
            Err(TemplateError::ReservedFirstSegment("preflight".into()))
        );
        // ...and no source derives keys under it (a source's namespace is its own).
        for source in Source::ALL {
            assert_ne!(
                source.namespace(),
                Namespace::Preflight.as_str(),
                "{source:?}"
            );
        }
        let key = p.derived(Layout::new(
            Source::Direct,
            None,
            &[Part::Segment("preflight")],
        ));
        assert!(
            !key.as_str().starts_with("incoming/preflight/"),
            "{}",
            key.as_str()
        );
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

    /// A generated [`Layout`], owning its list of parts.
    #[derive(Debug)]
    struct Shape<'a> {
        namespace: Namespace,
        container: Option<&'a str>,
        id: Vec<Part<'a>>,
        suffix: &'static str,
        group: Option<&'a str>,
    }

    impl Shape<'_> {
        fn layout(&self) -> Layout<'_> {
            let layout = Layout::in_namespace(self.namespace, self.container, &self.id);
            let layout = match self.suffix {
                "" => layout,
                suffix => layout.with_suffix(suffix),
            };
            match self.group {
                Some(group) => layout.grouped_by(group),
                None => layout,
            }
        }
    }

    /// The shapes the sources have today, in [`layout`]'s first variants.
    const TODAY: u16 = 14;
    /// Id part kinds of the other generated shapes (a path only last).
    const KINDS: [&str; 4] = ["s", "sn", "np", "ssp"];
    const SUFFIXES: [&str; 3] = ["", ".json", ".eml"];
    /// How many variants [`layout`] covers: today's shapes, then every namespace
    /// with or without a container, each list of part kinds and each suffix.
    const VARIANTS: u16 = TODAY + (Namespace::ALL.len() * 2 * KINDS.len() * SUFFIXES.len()) as u16;

    /// Layouts from a few generated strings and numbers, covering every shape.
    fn layout<'a>(variant: u16, a: &'a str, b: &'a str, c: &'a str, n: usize, m: i64) -> Shape<'a> {
        let source = |source, container, id| Shape {
            namespace: Namespace::Source(source),
            container,
            id,
            suffix: "",
            group: None,
        };
        let variant = variant % VARIANTS;
        match variant {
            0 => source(Source::Sqs, Some(a), vec![Part::Segment(b)]),
            1 => source(Source::Sns, Some(a), vec![Part::Segment(b)]),
            2 => source(
                Source::EventBridge,
                Some(a),
                vec![Part::Segment(b), Part::Segment(c)],
            ),
            3 => source(Source::S3, Some(a), vec![Part::Path(b)]),
            4 => Shape {
                suffix: ".json",
                ..source(Source::Ses, None, vec![Part::Segment(a)])
            },
            5 => Shape {
                suffix: ".eml",
                ..source(Source::Ses, None, vec![Part::Segment(a)])
            },
            6 => source(Source::Http, None, vec![Part::Segment(a)]),
            7 => Shape {
                group: Some(a),
                ..source(
                    Source::Direct,
                    None,
                    vec![Part::Segment(a), Part::Number(n as i64)],
                )
            },
            8 => source(
                Source::Kinesis,
                Some(a),
                vec![Part::Segment(b), Part::Segment(c)],
            ),
            9 => source(Source::DynamoDb, Some(a), vec![Part::Segment(b)]),
            10 => source(
                Source::Kafka,
                Some(a),
                vec![Part::Number(n as i64 - 1), Part::Number(m)],
            ),
            13 => Shape {
                suffix: ".ndjson",
                ..source(
                    Source::CloudWatchLogs,
                    Some(a),
                    vec![Part::Segment(b), Part::Segment(c), Part::Segment(a)],
                )
            },
            12 => source(
                Source::Kinesis,
                Some(a),
                vec![Part::Segment(b), Part::Segment(c), Part::Number(n as i64)],
            ),
            11 => Shape {
                namespace: Namespace::Batch,
                suffix: ".ndjson",
                ..source(
                    Source::Sqs,
                    None,
                    vec![Part::Segment(a), Part::Segment(b), Part::Segment(c)],
                )
            },
            _ => {
                let mut g = usize::from(variant - TODAY);
                let mut next = |len: usize| {
                    let pick = g % len;
                    g /= len;
                    pick
                };
                let namespace = Namespace::ALL[next(Namespace::ALL.len())];
                let container = (next(2) == 1).then_some(a);
                let id = KINDS[next(KINDS.len())]
                    .chars()
                    .map(|kind| match kind {
                        's' => Part::Segment(b),
                        'n' => Part::Number(m),
                        _ => Part::Path(c),
                    })
                    .collect();
                let suffix = SUFFIXES[next(SUFFIXES.len())];
                Shape {
                    namespace,
                    container,
                    id,
                    suffix,
                    group: None,
                }
            }
        }
    }

    /// A variant of the same namespace as `variant` (itself for `step` 0):
    /// SES's other shape, or a generated shape with another container, list of
    /// part kinds or suffix.
    fn sibling(variant: u16, step: u16) -> u16 {
        let variant = variant % VARIANTS;
        match variant {
            4 | 5 if step % 2 == 1 => 9 - variant,
            8 | 12 if step % 2 == 1 => 20 - variant,
            _ if variant < TODAY => variant,
            _ => {
                let stride = Namespace::ALL.len() as u16;
                TODAY + (variant - TODAY + step * stride) % (VARIANTS - TODAY)
            }
        }
    }

    /// Half today's shapes, half the others.
    fn variants() -> impl Strategy<Value = u16> {
        prop_oneof![0..TODAY, TODAY..VARIANTS]
    }

    /// Whether two layouts may both be in use: of distinct namespaces, or of
    /// one shape, or told apart by suffixes neither of which ends the other
    /// (the rule [`Layout`] states).
    fn may_coexist(l1: &Layout<'_>, l2: &Layout<'_>) -> bool {
        let kinds = |l: &Layout<'_>| {
            l.id.iter()
                .map(|p| match p {
                    Part::Segment(_) => 's',
                    Part::Number(_) => 'n',
                    Part::Path(_) => 'p',
                })
                .collect::<String>()
        };
        let shape = |l: &Layout<'_>| (l.container.is_some(), kinds(l), l.suffix);
        let no_path = |l: &Layout<'_>| !kinds(l).contains('p');
        l1.namespace != l2.namespace
            || shape(l1) == shape(l2)
            || !(l1.suffix.ends_with(l2.suffix) || l2.suffix.ends_with(l1.suffix))
            || (l1.container.is_some() == l2.container.is_some()
                && l1.suffix == l2.suffix
                && no_path(l1)
                && no_path(l2)
                && l1.id.len() != l2.id.len())
    }

    /// Valid templates: {source} or plain text first, {id} in several places.
    const TEMPLATES: [&str; 5] = [
        "{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}",
        "{source}/acct={account}/{log_group}/{source_name}/{yyyy}/{id}",
        "lake/{source}/{source_name}/{id}",
        "{source}/{id}/{source_name}/{mm}",
        "x/{yyyy}/{source_name}/pk={partition_key}/{id}/{source}/{MM}{dd}",
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
        let sqs = Layout::new(Source::Sqs, Some("q/1"), &[Part::Segment("m")]);
        let direct = Layout::new(Source::Direct, None, &[Part::Segment("r"), Part::Number(0)])
            .grouped_by("r");
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
        let http = |id| p.derived(Layout::new(Source::Http, None, &[Part::Segment(id)]));
        let short = http("r");
        assert_eq!(short.compressed().as_str(), "incoming/http/r.gz");
        let long = http(&"x".repeat(1100));
        let gz = long.compressed();
        assert!(gz.as_str().ends_with(".gz") && gz.as_str().len() <= MAX_KEY_BYTES);
        assert!(gz.as_str().contains("%~"));
    }

    const HOSTILE: &str = "(\\.\\.|\\.|/|%|%2E|%_|%~|a|\u{0}|\n|é|\u{10FFFF}){0,6}";

    proptest! {
        #[test]
        fn distinct_layouts_give_distinct_keys(
            v1 in variants(), a1 in HOSTILE, b1 in HOSTILE, c1 in HOSTILE, n1 in 0usize..3, m1 in -12i64..13,
            v2 in variants(), a2 in HOSTILE, b2 in HOSTILE, c2 in HOSTILE, n2 in 0usize..3, m2 in -12i64..13,
            // The second record is often a near miss: a sibling shape, the same values.
            same in any::<[bool; 6]>(), step in 0u16..8,
        ) {
            let (v2, a2, b2, c2) = (pick(same[0], sibling(v1, step), v2), pick(same[1], &a1, &a2), pick(same[2], &b1, &b2), pick(same[3], &c1, &c2));
            let (n2, m2) = (pick(same[4], n1, n2), pick(same[5], m1, m2));
            let p = prefix();
            let (g1, g2) = (layout(v1, &a1, &b1, &c1, n1, m1), layout(v2, a2, b2, c2, n2, m2));
            let (l1, l2) = (g1.layout(), g2.layout());
            prop_assume!(may_coexist(&l1, &l2));
            // Compare what the layouts identify (unused fields don't count).
            let same = format!("{l1:?}") == format!("{l2:?}");
            prop_assert_eq!(same, p.derived(l1) == p.derived(l2), "{:?} / {:?}", l1, l2);
        }

        #[test]
        fn suffixed_keys_stay_distinct_and_safe(
            v1 in variants(), a1 in HOSTILE, b1 in "[a/%.]{0,1100}", c1 in HOSTILE, m1 in -12i64..13,
            v2 in variants(), a2 in HOSTILE, b2 in "[a/%.]{0,1100}", c2 in HOSTILE, m2 in -12i64..13,
        ) {
            let p = prefix();
            let (g1, g2) = (layout(v1, &a1, &b1, &c1, 1, m1), layout(v2, &a2, &b2, &c2, 1, m2));
            let (l1, l2) = (g1.layout(), g2.layout());
            let (k1, k2) = (p.derived(l1).compressed(), p.derived(l2).compressed());
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
        fn derived_keys_are_always_safe(v in variants(), a in any::<String>(), b in "(\\.\\.|\\.|/|a|\u{0}|é){0,700}", c in any::<String>(), m in any::<i64>()) {
            let p = prefix();
            let shape = layout(v, &a, &b, &c, 1, m);
            let key = p.derived(shape.layout());
            assert_safe(&p, &key);
            prop_assert_eq!(&key, &p.derived(layout(v, &a, &b, &c, 1, m).layout()), "deterministic");
        }

        #[test]
        fn no_caller_key_equals_a_derived_key(v in variants(), a in HOSTILE, b in HOSTILE, c in HOSTILE, m in any::<i64>()) {
            let p = prefix();
            let derived = p.derived(layout(v, &a, &b, &c, 0, m).layout());
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
            v1 in variants(), a1 in HOSTILE, b1 in HOSTILE, c1 in HOSTILE, n1 in 0usize..3, m1 in -12i64..13, s1 in TIMES, k1 in HOSTILE,
            v2 in variants(), a2 in HOSTILE, b2 in HOSTILE, c2 in HOSTILE, n2 in 0usize..3, m2 in -12i64..13, s2 in TIMES, k2 in HOSTILE,
            // The second record shares most parts with the first: near misses, not strangers.
            same in any::<[bool; 6]>(),
        ) {
            let (v2, a2, b2, c2) = (pick(same[0], v1, v2), pick(same[1], &a1, &a2), pick(same[2], &b1, &b2), pick(same[3], &c1, &c2));
            let (n2, m2) = (pick(same[4], n1, n2), pick(same[5], m1, m2));
            let p = prefix().with_template(KeyTemplate::parse(TEMPLATES[t]).unwrap());
            let (g1, g2) = (layout(v1, &a1, &b1, &c1, n1, m1), layout(v2, a2, b2, c2, n2, m2));
            let (l1, l2) = (g1.layout(), g2.layout());
            prop_assume!(may_coexist(&l1, &l2));
            let (t1, t2) = (time(s1), time(s2));
            let f1 = Facts { event_time: Some(&t1), partition_key: Some(&k1), account: Some(&k2), log_group: Some(&k1) };
            let f2 = Facts { event_time: Some(&t2), partition_key: Some(&k2), account: Some(&k1), log_group: Some(&k2) };
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
                assert_safe(&p, &p.derived(Layout::new(Source::S3, Some("b"), &[Part::Path(&part)])));
            }
        }
    }
}
