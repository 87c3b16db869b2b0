//! What every decoder does to one record, so a decoder shows only what is
//! particular to its source.
//!
//! A record's ID is read from the raw JSON before its typed decode
//! ([`Decoding::new`]), so every failure after that, a typed decode that
//! fails included, is reported under it; "malformed" is said one way, naming
//! the source; the key is made from the layout the decoder states, and the
//! provenance metadata from the same source ID and event time ([`Decoding::record`]).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{DecodeContext, DecodeError, Payload, Record, RecordError, TimeUnit};
use crate::keys::{Facts, Layout, ObjectKey};
use crate::source::Source;

/// One record of `source` being decoded.
pub(crate) struct Decoding<'c> {
    source: Source,
    /// The record's ID as read before the typed decode: what failures are reported under.
    id: Option<String>,
    cx: &'c DecodeContext<'c>,
}

/// What a decoder found in a record, for [`Decoding::record`] to make it of.
pub(crate) struct Found<'a> {
    /// What the source's answer reports the record under.
    pub id: String,
    /// The record's ID at its source: the `source-id` metadata.
    pub source_id: &'a str,
    /// Its key, as the decoder lays it out.
    pub layout: Layout<'a>,
    /// Its event time (also the `event-time` metadata) and partition key.
    pub facts: Facts<'a>,
    pub content_type: Option<String>,
    pub payload: Payload,
}

impl<'c> Decoding<'c> {
    pub fn new(source: Source, id: Option<String>, cx: &'c DecodeContext<'c>) -> Self {
        Self { source, id, cx }
    }

    /// Starts with the non-empty string at `pointer` in the raw record as its ID.
    pub fn at(source: Source, raw: &Value, pointer: &str, cx: &'c DecodeContext<'c>) -> Self {
        Self::new(source, super::id_at(raw, pointer), cx)
    }

    /// `error`, reported under the record's ID.
    pub fn fail(&self, error: impl Into<DecodeError>) -> RecordError {
        RecordError {
            id: self.id.clone(),
            error: error.into(),
        }
    }

    /// The record doesn't have the shape its source gives it.
    pub fn malformed(&self, detail: impl Into<String>) -> RecordError {
        self.fail(DecodeError::malformed(self.source.name(), detail))
    }

    /// The record's ID as read before the typed decode; malformed ("no `what`") without one.
    pub fn id(&self, what: &str) -> Result<String, RecordError> {
        self.id
            .clone()
            .ok_or_else(|| self.malformed(format!("no {what}")))
    }

    /// The typed decode of the raw record (or a part of it).
    pub fn typed<T: serde::de::DeserializeOwned>(&self, raw: Value) -> Result<T, RecordError> {
        super::decode_as(self.source.name(), raw).map_err(|e| self.fail(e))
    }

    /// The numeric timestamp at `pointer`, read before the typed decode ([`super::take_timestamp`]).
    pub fn timestamp(
        &self,
        raw: &mut Value,
        pointer: &str,
        unit: TimeUnit,
    ) -> Result<Option<DateTime<Utc>>, RecordError> {
        super::take_timestamp(raw, pointer, unit, self.source.name()).map_err(|e| self.fail(e))
    }

    /// What `parse` reads from the record's `eventSourceARN` (the `what`: queue, stream, table).
    pub fn named_in_arn<'a>(
        &self,
        arn: Option<&'a str>,
        parse: impl FnOnce(&'a str) -> Option<&'a str>,
        what: &str,
    ) -> Result<&'a str, RecordError> {
        arn.and_then(parse)
            .ok_or_else(|| self.malformed(format!("no eventSourceARN naming the {what}")))
    }

    /// A body of `len` bytes is refused over MAX_BODY_BYTES.
    pub fn within_limit(&self, len: usize) -> Result<(), RecordError> {
        super::within_limit(len, self.cx.max_body_bytes).map_err(|e| self.fail(e))
    }

    /// A body that arrived in the event, bounded and optionally base64.
    pub fn inline_body(&self, body: Option<String>, base64: bool) -> Result<Bytes, RecordError> {
        super::inline_body(body, base64, self.cx.max_body_bytes).map_err(|e| self.fail(e))
    }

    /// The record's key: `layout` under the prefix (and `KEY_TEMPLATE`).
    pub fn key(&self, layout: Layout<'_>, facts: Facts<'_>) -> Result<ObjectKey, RecordError> {
        self.cx.prefix.key(layout, facts).map_err(|e| self.fail(e))
    }

    /// The record: its key, and its provenance (source, source ID, event time).
    pub fn record(&self, found: Found<'_>) -> Result<Record, RecordError> {
        Ok(Record {
            key: self.key(found.layout, found.facts)?,
            content_type: found.content_type,
            metadata: self.provenance(found.source_id, found.facts.event_time),
            payload: found.payload,
            id: found.id,
        })
    }

    /// The metadata every object of this source carries.
    pub fn provenance(
        &self,
        source_id: &str,
        event_time: Option<&str>,
    ) -> std::collections::BTreeMap<String, String> {
        super::provenance_of(self.source.name(), source_id, event_time)
    }
}
