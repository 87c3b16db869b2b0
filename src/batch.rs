//! Batched objects (`OBJECT_MODE=batch`) and compression (`CONTENT_ENCODING=gzip`).
//!
//! In batch mode the records of one invocation from a batching source (SQS,
//! SNS, Kinesis, DynamoDB Streams, Kafka, a direct invoke's derived keys) go
//! into one NDJSON object per source name (queue, topic, stream, table,
//! request ID), one line per record in event order, split into several
//! objects in order when `MAX_BATCH_BYTES` would be exceeded (a line is never
//! split). Sources whose record is one object by nature (S3 copies, SES, HTTP,
//! EventBridge, a caller-named direct key) keep one object per record.
//!
//! A batch object's key is `batch/<source>/<source name>/<digest>.ndjson`,
//! the digest being the SHA-256 of its source, source name and whole content:
//! a redelivered identical batch hits the same key and the create-only write's
//! identity check answers "already existed"; any other content gets another key.
//!
//! The [`Plan`] turns decoded records into the objects to write and maps each
//! object's outcome back to its records, so the source's answer stays one
//! outcome per record: every record of a batch whose write failed is failed,
//! under its own ID.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

pub use crate::config::{ContentEncoding, DEFAULT_MAX_BATCH_BYTES, Delivery, ObjectMode};
use crate::keys::{Origin, hex};
use crate::record::{Decoded, RecordError};
use crate::record::{Outcome, Payload, Record, Results, provenance};

/// The content type of a batch object.
pub const NDJSON: &str = "application/x-ndjson";
/// The gzip level: fixed, so a retry compresses to the very same bytes.
const GZIP_LEVEL: u32 = 6;
/// Metadata name: how many records a batch object holds.
pub const SOURCE_RECORDS: &str = "source-records";

/// Which object holds each record of one invocation.
#[derive(Debug)]
pub struct Plan {
    /// Per record, in event order: the index of its object, and its ID when
    /// it is in a batch object (its outcome is reported under it).
    members: Vec<(usize, Option<String>)>,
}

impl Plan {
    /// Groups `decoded` into objects as `delivery` says (record mode: one each),
    /// compressing inline bodies when `CONTENT_ENCODING=gzip`: the objects to
    /// write, in the order of each one's first record (a record that failed to
    /// decode stands alone, as its error), and the plan that maps their
    /// outcomes back to the records.
    pub fn new(decoded: Decoded, delivery: &Delivery) -> (Decoded, Self) {
        let mut units: Vec<Unit> = Vec::with_capacity(decoded.len());
        let mut members = Vec::with_capacity(decoded.len());
        // Per (namespace, source name): the batch being filled.
        let mut open: HashMap<Origin, usize> = HashMap::new();
        for item in decoded {
            let batchable = match &item {
                Ok(record) if delivery.mode == ObjectMode::Batch => batch_group(record),
                _ => None,
            };
            let (Some(group), Ok(record)) = (batchable, &item) else {
                members.push((units.len(), None));
                units.push(Unit::One(item));
                continue;
            };
            let line = ndjson_line(record);
            let index = match open.get(&group) {
                Some(&i) if units[i].fits(line.len(), delivery.max_batch_bytes) => i,
                _ => {
                    units.push(Unit::Batch(Batch {
                        origin: group.clone(),
                        source: record.metadata.get(provenance::SOURCE).cloned(),
                        event_time: record.metadata.get(provenance::EVENT_TIME).cloned(),
                        keys: Vec::new(),
                        body: Vec::new(),
                        records: 0,
                    }));
                    open.insert(group, units.len() - 1);
                    units.len() - 1
                }
            };
            if let Unit::Batch(batch) = &mut units[index] {
                batch.keys.extend_from_slice(record.key.as_str().as_bytes());
                batch.keys.push(b'\n');
                batch.body.extend_from_slice(&line);
                batch.records += 1;
            }
            members.push((index, Some(record.id.clone())));
        }
        let objects = units
            .into_iter()
            .map(|unit| {
                let record = match unit {
                    Unit::One(item) => item?,
                    Unit::Batch(batch) => batch.into_record(),
                };
                Ok(encode(record, delivery.encoding))
            })
            .collect();
        (objects, Self { members })
    }

    /// Per record, in event order: the index of the object that holds it.
    pub fn object_of_records(&self) -> Vec<usize> {
        self.members.iter().map(|(object, _)| *object).collect()
    }

    /// One outcome per record, in event order, from each object's outcome
    /// and write duration: every record of a batch gets its object's outcome,
    /// a failure under the record's own ID. The objects' outcomes are kept
    /// beside them, so metrics count objects as objects (one PUT of a batch
    /// is one `ObjectsCreated`, its stored bytes `BytesWritten`).
    pub fn finish(self, written: Vec<(Outcome, Option<Duration>)>) -> Results {
        let (objects, latencies): (Vec<Outcome>, Vec<Option<Duration>>) =
            written.into_iter().unzip();
        let latencies: Vec<Duration> = latencies.into_iter().flatten().collect();
        let records: Vec<Outcome> = self
            .members
            .iter()
            .map(|(index, member)| {
                let outcome = objects[*index].clone();
                match member {
                    Some(id) => outcome.map_err(|mut failure| {
                        failure.id = Some(id.clone());
                        failure
                    }),
                    None => outcome,
                }
            })
            .collect();
        Results {
            records,
            objects,
            latencies,
        }
    }
}

enum Unit {
    One(Result<Record, RecordError>),
    Batch(Batch),
}

impl Unit {
    /// Whether a line of `len` bytes still fits this batch under `max` (a
    /// batch always takes its first line, however long).
    fn fits(&self, len: usize, max: usize) -> bool {
        matches!(self, Unit::Batch(b) if b.body.len() + len <= max)
    }
}

/// A batch object being filled.
struct Batch {
    /// What its records share: source, source name and, under `KEY_TEMPLATE`,
    /// the key around `{id}` (event hour, partition key, ...).
    origin: Origin,
    /// The first record's `source` and `event-time` metadata.
    source: Option<String>,
    event_time: Option<String>,
    /// The records' own (record-mode) keys, one a line: injective, so
    /// distinct records make distinct digests whatever the lines say.
    keys: Vec<u8>,
    body: Vec<u8>,
    records: usize,
}

impl Batch {
    fn into_record(self) -> Record {
        let digest = hex(&batch_digest(&[
            self.origin.namespace.as_str().as_bytes(),
            self.origin.container.as_bytes(),
            &self.keys,
            &self.body,
        ]));
        let key = self.origin.batch_key(&digest);
        let mut metadata = BTreeMap::new();
        let source = self
            .source
            .unwrap_or_else(|| self.origin.namespace.as_str().into());
        metadata.insert(provenance::SOURCE.to_owned(), source);
        metadata.insert(provenance::SOURCE_ID.to_owned(), digest.clone());
        metadata.insert(SOURCE_RECORDS.to_owned(), self.records.to_string());
        if let Some(time) = self.event_time {
            metadata.insert(provenance::EVENT_TIME.to_owned(), time);
        }
        Record {
            id: digest,
            key,
            payload: Payload::Inline(Bytes::from(self.body)),
            content_type: Some(NDJSON.to_owned()),
            metadata,
        }
    }
}

/// The batch a record may join: its key's origin (source, source name and
/// the templated key around `{id}`), for inline bodies of batching sources
/// only ([`crate::source::Source::batches`]).
fn batch_group(record: &Record) -> Option<Origin> {
    if !matches!(record.payload, Payload::Inline(_)) {
        return None;
    }
    let origin = record.key.origin()?;
    origin.namespace.batches().then(|| origin.clone())
}

/// SHA-256 over the batch's parts (source, source name, the records' keys,
/// the content), each length-prefixed, so distinct batches never share a digest.
fn batch_digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// One NDJSON line.
#[derive(Serialize)]
struct Line<'a> {
    /// What the source's answer reports the record under.
    id: &'a str,
    source: Option<&'a str>,
    source_id: Option<&'a str>,
    event_time: Option<&'a str>,
    content_type: Option<&'a str>,
    /// Caller metadata (direct invoke), when there is any.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_json: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

/// A record's line, ending in `\n`. The body is exactly one of:
/// - `body_json`: a JSON object or array embedded as it arrived, byte for byte
///   (only when it has no line break and no surrounding whitespace, so the
///   embedded text *is* the body and the line stays one line);
/// - `body`: any other UTF-8 text, as a JSON string;
/// - `body_base64`: anything else, base64 (standard alphabet, padded).
pub fn ndjson_line(record: &Record) -> Vec<u8> {
    let body: &[u8] = match &record.payload {
        Payload::Inline(b) | Payload::Gzip(b) => b,
        Payload::SourceObject(_) => &[],
    };
    let meta = |name: &str| record.metadata.get(name).map(String::as_str);
    let mut line = Line {
        id: &record.id,
        source: meta(provenance::SOURCE),
        source_id: meta(provenance::SOURCE_ID),
        event_time: meta(provenance::EVENT_TIME),
        content_type: record.content_type.as_deref(),
        metadata: record
            .metadata
            .iter()
            .filter(|(name, _)| !provenance::is_reserved(name))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        body_json: None,
        body: None,
        body_base64: None,
    };
    match std::str::from_utf8(body) {
        Ok(text) if embeddable_json(text) => {
            line.body_json = serde_json::from_str::<&RawValue>(text).ok();
        }
        Ok(text) => line.body = Some(text),
        Err(_) => line.body_base64 = Some(base64::engine::general_purpose::STANDARD.encode(body)),
    }
    let mut out = serde_json::to_vec(&line).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A JSON object or array whose text can stand in a line as it is.
fn embeddable_json(text: &str) -> bool {
    (text.starts_with('{') || text.starts_with('['))
        && (text.ends_with('}') || text.ends_with(']'))
        && !text.contains(['\n', '\r'])
        && serde_json::from_str::<&RawValue>(text).is_ok()
}

/// `record` as stored under `encoding`: with gzip an inline body is
/// compressed and its key is the compressed object's ([`crate::keys::ObjectKey::compressed`]:
/// `.gz` unless the caller named it). Source objects (S3 copies, SES raw mail)
/// are streamed as they are.
fn encode(mut record: Record, encoding: ContentEncoding) -> Record {
    if encoding != ContentEncoding::Gzip {
        return record;
    }
    if let Payload::Inline(body) = &record.payload {
        record.payload = Payload::Gzip(gzip(body));
        record.key = record.key.compressed();
    }
    record
}

/// Deterministic gzip: a fixed level, no file name, no comment, mtime 0 and
/// OS "unknown", so the same bytes always compress to the same bytes.
pub fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::new(GZIP_LEVEL));
    // Writing into a Vec never fails.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Facts, KeyPrefix, Layout, ObjectKey, Part};
    use crate::metrics::Tally;
    use crate::record::{Failure, Status, Written};
    use crate::source::Source;
    use serde_json::{Value, json};
    use std::io::Read as _;

    fn prefix() -> KeyPrefix {
        KeyPrefix::parse("incoming/").unwrap()
    }

    /// `sqs/<queue>/<id>` under `prefix`.
    fn sqs_key(prefix: &KeyPrefix, queue: &str, id: &str, facts: Facts<'_>) -> ObjectKey {
        let id = [Part::Segment(id)];
        prefix
            .key(Layout::new(Source::Sqs, Some(queue), &id), facts)
            .unwrap()
    }

    fn sqs(id: &str, body: &[u8]) -> Record {
        let mut metadata = BTreeMap::new();
        metadata.insert("source".to_owned(), "sqs".to_owned());
        metadata.insert("source-id".to_owned(), id.to_owned());
        metadata.insert("event-time".to_owned(), "2026-12-02T00:00:00Z".to_owned());
        Record {
            id: id.to_owned(),
            key: sqs_key(&prefix(), "q", id, Facts::default()),
            payload: Payload::Inline(Bytes::copy_from_slice(body)),
            content_type: Some("text/plain".to_owned()),
            metadata,
        }
    }

    fn batch_mode(max: usize) -> Delivery {
        Delivery {
            mode: ObjectMode::Batch,
            max_batch_bytes: max,
            ..Delivery::default()
        }
    }

    fn body_of(record: &Record) -> &[u8] {
        match &record.payload {
            Payload::Inline(b) | Payload::Gzip(b) => b,
            Payload::SourceObject(_) => panic!("a source object"),
        }
    }

    /// The objects `records` become.
    fn plan(records: Vec<Record>, delivery: &Delivery) -> Decoded {
        Plan::new(records.into_iter().map(Ok).collect(), delivery).0
    }

    fn keys_of(objects: &Decoded) -> Vec<String> {
        objects
            .iter()
            .map(|o| o.as_ref().unwrap().key.to_string())
            .collect()
    }

    fn only_key(records: Vec<Record>) -> String {
        let objects = plan(records, &batch_mode(DEFAULT_MAX_BATCH_BYTES));
        assert_eq!(objects.len(), 1);
        objects[0].as_ref().unwrap().key.to_string()
    }

    #[test]
    fn line_shapes_for_text_binary_and_json_bodies() {
        let line = |body: &[u8]| -> Value {
            let bytes = ndjson_line(&sqs("m-1", body));
            assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1, "one line");
            assert!(bytes.ends_with(b"\n"));
            serde_json::from_slice(&bytes).unwrap()
        };
        assert_eq!(
            line(b"hello\nworld"),
            json!({"id": "m-1", "source": "sqs", "source_id": "m-1",
                   "event_time": "2026-12-02T00:00:00Z", "content_type": "text/plain",
                   "body": "hello\nworld"})
        );
        assert_eq!(line(&[0, 159, 146, 150])["body_base64"], "AJ+Slg==");
        let json_line = ndjson_line(&sqs("m-1", br#"{"n":12345678901234567890,"a":[1.50]}"#));
        let text = String::from_utf8(json_line).unwrap();
        assert!(
            text.contains(r#""body_json":{"n":12345678901234567890,"a":[1.50]}"#),
            "embedded byte for byte: {text}"
        );
        // Not embeddable as it is: a string body instead, still exact.
        for body in [&b"{\"a\":\n1}"[..], b" [1]", b"42", b"{broken"] {
            let l = line(body);
            assert_eq!(l["body"].as_str().unwrap().as_bytes(), body, "{l}");
            assert!(l.get("body_json").is_none());
        }
    }

    #[test]
    fn one_object_per_source_name_with_lines_in_event_order() {
        let records: Vec<Record> = (0..10)
            .map(|n| sqs(&format!("m-{n}"), format!("body {n}").as_bytes()))
            .collect();
        let objects = plan(records, &batch_mode(DEFAULT_MAX_BATCH_BYTES));
        assert_eq!(objects.len(), 1);
        let object = objects[0].as_ref().unwrap();
        assert!(
            object.key.as_str().starts_with("incoming/batch/sqs/q/")
                && object.key.as_str().ends_with(".ndjson"),
            "{}",
            object.key
        );
        assert_eq!(object.content_type.as_deref(), Some(NDJSON));
        assert_eq!(object.metadata[SOURCE_RECORDS], "10");
        assert_eq!(
            line_ids(object),
            (0..10).map(|n| format!("m-{n}")).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_key_is_deterministic_from_the_batch() {
        let batch = || vec![sqs("a", b"1"), sqs("b", b"2")];
        assert_eq!(only_key(batch()), only_key(batch()));
        let changed_id = vec![sqs("a", b"1"), sqs("c", b"2")];
        let changed_body = vec![sqs("a", b"1"), sqs("b", b"3")];
        let reordered = vec![sqs("b", b"2"), sqs("a", b"1")];
        for other in [changed_id, changed_body, reordered] {
            assert_ne!(only_key(batch()), only_key(other));
        }
        let mut other_queue = batch();
        for r in &mut other_queue {
            r.key = sqs_key(&prefix(), "q2", &r.id, Facts::default());
        }
        assert_ne!(only_key(batch()), only_key(other_queue));
        // Same lines, but records whose own keys differ (e.g. a queue name cut
        // alike in both): the digest covers the records' keys too.
        let mut other_keys = batch();
        other_keys[0].key = sqs_key(&prefix(), "q", "other", Facts::default());
        assert_ne!(only_key(batch()), only_key(other_keys));
    }

    #[test]
    fn max_batch_bytes_splits_in_order_and_never_splits_a_line() {
        let records: Vec<Record> = (0..5)
            .map(|n| sqs(&format!("m-{n}"), &[b'x'; 100]))
            .collect();
        let line = ndjson_line(&records[0]).len();
        let objects = plan(records.clone(), &batch_mode(2 * line + 1));
        assert_eq!(objects.len(), 3, "2 + 2 + 1 lines");
        let mut seen = Vec::new();
        for object in &objects {
            let object = object.as_ref().unwrap();
            assert!(body_of(object).len() <= 2 * line + 1);
            for l in body_of(object)
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
            {
                let l: Value = serde_json::from_slice(l).expect("whole lines");
                seen.push(l["id"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(seen, ["m-0", "m-1", "m-2", "m-3", "m-4"]);
        let keys: std::collections::HashSet<_> = keys_of(&objects).into_iter().collect();
        assert_eq!(keys.len(), 3, "each its own key");
        // A line larger than the cap is an object of its own.
        let (objects, _) = Plan::new(records.into_iter().map(Ok).collect(), &batch_mode(10));
        assert_eq!(objects.len(), 5);
    }

    #[test]
    fn a_failed_batch_fails_each_record_under_its_own_id_and_a_bad_record_alone() {
        let decoded = vec![
            Ok(sqs("a", b"1")),
            Err(RecordError {
                id: Some("bad".into()),
                error: crate::events::DecodeError::EmptyBody,
            }),
            Ok(sqs("b", b"2")),
        ];
        let (objects, _) = Plan::new(decoded, &batch_mode(DEFAULT_MAX_BATCH_BYTES));
        assert_eq!(objects.len(), 2, "the batch and the rejected record");
        let batch = objects[0].as_ref().unwrap();
        assert!(
            !body_of(batch).windows(5).any(|w| w == b"\"bad\""),
            "left out"
        );
        let failed = Failure {
            id: Some(batch.id.clone()),
            message: "AccessDenied".into(),
            code: Some(crate::errors::ErrorCode::AccessDenied),
            cause: crate::record::Cause::Write,
        };
        let rejected = Failure::from(RecordError {
            id: Some("bad".into()),
            error: crate::events::DecodeError::EmptyBody,
        });
        let written = Written {
            key: batch.key.to_string(),
            status: Status::Created,
            etag: None,
            version_id: None,
            bytes: 9,
        };
        let ms = Some(Duration::from_millis(2));
        let replan = || {
            Plan::new(
                vec![
                    Ok(sqs("a", b"1")),
                    Err(RecordError {
                        id: Some("bad".into()),
                        error: crate::events::DecodeError::EmptyBody,
                    }),
                    Ok(sqs("b", b"2")),
                ],
                &batch_mode(DEFAULT_MAX_BATCH_BYTES),
            )
        };
        let finished = |written| {
            let results = replan().1.finish(written);
            let tally = Tally::of_results(&results);
            (results.records, tally)
        };
        let (outcomes, tally) = finished(vec![(Err(failed), ms), (Err(rejected.clone()), None)]);
        let ids: Vec<_> = outcomes
            .iter()
            .map(|o| o.as_ref().unwrap_err().id.clone())
            .collect();
        assert_eq!(
            ids,
            [Some("a".into()), Some("bad".into()), Some("b".into())]
        );
        assert_eq!(
            (
                tally.records_received,
                tally.records_failed,
                tally.objects_created
            ),
            (3, 3, 0)
        );
        let (outcomes, tally) = finished(vec![(Ok(written.clone()), ms), (Err(rejected), None)]);
        assert!(outcomes[0].is_ok() && outcomes[1].is_err() && outcomes[2].is_ok());
        assert_eq!(
            (
                tally.records_received,
                tally.records_failed,
                tally.objects_created,
                tally.bytes_written
            ),
            (3, 1, 1, 9),
            "one object of 9 bytes holds the two records"
        );
        assert_eq!(tally.write_latency_ms, [2.0]);
        let mut present = written;
        present.status = Status::AlreadyExisted;
        let (_, tally) = finished(vec![
            (Ok(present), ms),
            (
                Err(Failure::from(RecordError {
                    id: Some("bad".into()),
                    error: crate::events::DecodeError::EmptyBody,
                })),
                None,
            ),
        ]);
        assert_eq!(
            (tally.objects_already_present, tally.objects_created),
            (1, 0)
        );
    }

    #[test]
    fn record_mode_and_single_object_sources_keep_one_object_per_record() {
        let objects = plan(vec![sqs("a", b"1"), sqs("b", b"2")], &Delivery::default());
        let keys = keys_of(&objects);
        assert_eq!(keys, ["incoming/sqs/q/a", "incoming/sqs/q/b"]);
        let mut http = sqs("r", b"x");
        http.key = prefix().derived(Layout::new(Source::Http, None, &[Part::Segment("r")]));
        let mut caller = sqs("k", b"y");
        caller.key = prefix().caller_given("reports/k").unwrap();
        let (objects, _) = Plan::new(
            vec![Ok(http), Ok(caller)],
            &batch_mode(DEFAULT_MAX_BATCH_BYTES),
        );
        let keys = keys_of(&objects);
        assert_eq!(keys, ["incoming/http/r", "incoming/reports/k"]);
    }

    #[test]
    fn under_a_key_template_batches_land_in_their_records_partition() {
        let template = "lake/{source}/{source_name}/dt={yyyy}-{MM}-{dd}/{HH}/{id}";
        let templated = prefix().with_template(crate::keys::KeyTemplate::parse(template).unwrap());
        let at = |id: &str, queue: &str, time: &str| {
            let mut record = sqs(id, b"x");
            record.key = sqs_key(&templated, queue, id, Facts::at(time));
            Ok(record)
        };
        let records = vec![
            at("a", "q", "2026-12-02T00:10:00Z"),
            at("b", "q", "2026-12-02T01:10:00Z"),
            at("c", "q", "2026-12-02T00:50:00Z"),
            at("d", "other", "2026-12-02T00:10:00Z"),
        ];
        let (objects, plan) = Plan::new(records, &batch_mode(DEFAULT_MAX_BATCH_BYTES));
        let keys = keys_of(&objects);
        let frames = [
            "incoming/lake/sqs/q/dt=2026-12-02/00/",
            "incoming/lake/sqs/q/dt=2026-12-02/01/",
            "incoming/lake/sqs/other/dt=2026-12-02/00/",
        ];
        assert_eq!(keys.len(), frames.len(), "{keys:?}");
        for (key, head) in keys.iter().zip(frames) {
            assert!(is_digest_between(key, head, ".ndjson"), "{key}");
        }
        // a and c share the first object's hour; their lines are in event order.
        assert_eq!(line_ids(objects[0].as_ref().unwrap()), ["a", "c"]);
        assert_eq!(
            plan.members.iter().map(|m| m.0).collect::<Vec<_>>(),
            [0, 1, 0, 2]
        );
        // A template whose {id} is not last: the digest takes its place, the
        // type suffix ends the key; gzip adds .gz after it.
        let inner = prefix().with_template(
            crate::keys::KeyTemplate::parse("{source}/{source_name}/{id}/data").unwrap(),
        );
        let mut record = sqs("a", b"x");
        record.key = sqs_key(&inner, "q", "a", Facts::default());
        let gzip = Delivery {
            encoding: ContentEncoding::Gzip,
            ..batch_mode(DEFAULT_MAX_BATCH_BYTES)
        };
        let (objects, _) = Plan::new(vec![Ok(record)], &gzip);
        let key = &keys_of(&objects)[0];
        assert!(
            is_digest_between(key, "incoming/sqs/q/", "/data.ndjson.gz"),
            "{key}"
        );
    }

    /// The `id` of each NDJSON line of a batch object, in order.
    fn line_ids(object: &Record) -> Vec<String> {
        body_of(object)
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// Whether `key` is `head`, a SHA-256 in hex, then `tail`.
    fn is_digest_between(key: &str, head: &str, tail: &str) -> bool {
        key.strip_prefix(head)
            .and_then(|rest| rest.strip_suffix(tail))
            .is_some_and(|d| {
                d.len() == 64
                    && d.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn gzip_is_deterministic_and_round_trips() {
        let body = b"the same bytes, compressed twice ".repeat(100);
        let (a, b) = (gzip(&body), gzip(&body));
        assert_eq!(a, b);
        assert_eq!(gunzip(&a), body);
        // Header: magic, deflate, no flags, mtime 0, OS unknown.
        assert_eq!(&a[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        // Pinned: a compressor upgrade that changes the bytes would make
        // redeliveries of objects written before it conflict; this catches it.
        assert_eq!(
            hex(&Sha256::digest(gzip(b"hello, world\n"))),
            "64a0d24d659c3bb33e357a21cdf1933cd6fcdd2e6c914b7273648218ef34ce23"
        );
    }

    #[test]
    fn gzip_mode_compresses_and_suffixes_derived_keys_only() {
        let delivery = Delivery {
            encoding: ContentEncoding::Gzip,
            ..batch_mode(DEFAULT_MAX_BATCH_BYTES)
        };
        let objects = plan(vec![sqs("a", b"1"), sqs("b", b"2")], &delivery);
        let object = objects[0].as_ref().unwrap();
        assert!(
            object.key.as_str().ends_with(".ndjson.gz"),
            "{}",
            object.key
        );
        let Payload::Gzip(gz) = &object.payload else {
            panic!("compressed")
        };
        assert_eq!(gunzip(gz).iter().filter(|b| **b == b'\n').count(), 2);
        let single = Delivery {
            encoding: ContentEncoding::Gzip,
            ..Delivery::default()
        };
        let mut caller = sqs("k", b"y");
        caller.key = prefix().caller_given("reports/k").unwrap();
        let (objects, _) = Plan::new(vec![Ok(sqs("a", b"1")), Ok(caller)], &single);
        let keys = keys_of(&objects);
        assert_eq!(keys, ["incoming/sqs/q/a.gz", "incoming/reports/k"]);
        assert!(
            objects
                .iter()
                .all(|o| matches!(o.as_ref().unwrap().payload, Payload::Gzip(_)))
        );
    }
}
