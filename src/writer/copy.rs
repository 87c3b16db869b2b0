//! The copy protocol for source objects: HEAD first, keep the newest version
//! by S3's `sequencer`, replace with `If-Match` on the stored ETag.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::errors::{code, explain, status};
use crate::keys::ObjectKey;
use crate::record::{SourceObject, Status, Written, provenance};
use crate::sequencer;

use super::transport::{MultipartError, part_size_for};
use super::{Condition, Lookup, MAX_ATTEMPTS, Put, PutError, Stored, WriteError, Writer, backoff};

impl Writer {
    /// Copies a source object of the lambda account, keeping the newest version
    /// at `key` whatever order the events arrive in.
    pub(super) async fn copy(
        &self,
        key: &ObjectKey,
        content_type: Option<&str>,
        mut metadata: BTreeMap<String, String>,
        source: &SourceObject,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        if let Some(sequencer) = &source.sequencer {
            metadata.insert(provenance::SOURCE_SEQUENCER.to_owned(), sequencer.clone());
        }
        let mut exists = false;
        for attempt in 1..=MAX_ATTEMPTS {
            let stored = match self.head(key).await? {
                Lookup::Found(stored) => Some(stored),
                Lookup::Missing => None,
                Lookup::Forbidden(e) if exists => return Err(e),
                // Most likely missing; the create-only write finds out for sure.
                Lookup::Forbidden(_) => None,
            };
            let condition = match &stored {
                None => Condition::Absent,
                Some(stored) => {
                    self.check_same(
                        key,
                        stored,
                        &metadata,
                        &[provenance::SOURCE, provenance::SOURCE_ID],
                    )?;
                    if source.fill_only {
                        return Ok(self.gap_already_filled(key, stored, source));
                    }
                    if let Some(done) = self.already_current(key, stored, source) {
                        return Ok(done);
                    }
                    Condition::Matches(stored.etag.clone().unwrap_or_default())
                }
            };
            let Some(object) = self.read_source(source, source_owner).await? else {
                // Overwritten since this event: the newer event brings the newer version.
                tracing::info!(
                    key = key.as_str(),
                    "source changed since this event; left to the newer event"
                );
                return Ok(Written {
                    key: key.to_string(),
                    status: Status::Superseded,
                    etag: stored.as_ref().and_then(|s| s.etag.clone()),
                    version_id: stored.and_then(|s| s.version_id),
                    bytes: 0,
                });
            };
            let source_etag = object
                .e_tag
                .as_deref()
                .map(|e| e.trim_matches('"').to_owned());
            if let Some(stored) = &stored
                && source.sequencer.is_none()
            {
                // Written once (SES raw mail): the same source bytes or a conflict.
                let mut ours = metadata.clone();
                ours.extend(
                    source_etag
                        .clone()
                        .map(|e| (provenance::SOURCE_ETAG.to_owned(), e)),
                );
                self.check_same(key, stored, &ours, &[provenance::SOURCE_ETAG])?;
                return Ok(stored.written(key, Status::AlreadyExisted));
            }
            let mut metadata = metadata.clone();
            metadata.extend(source_etag.map(|e| (provenance::SOURCE_ETAG.to_owned(), e)));
            metadata.extend(
                object
                    .version_id
                    .clone()
                    .map(|v| (provenance::SOURCE_VERSION_ID.to_owned(), v)),
            );
            let content_type = content_type
                .map(str::to_owned)
                .or_else(|| object.content_type.clone())
                .unwrap_or_else(|| "application/octet-stream".into());
            let put = Put {
                key,
                content_type: &content_type,
                content_encoding: None,
                metadata: &metadata,
            };
            match self.upload(&put, object, &condition, source).await {
                Ok(mut written) => {
                    if condition != Condition::Absent {
                        written.status = Status::Replaced;
                    }
                    return Ok(written);
                }
                Err(PutError::Failed(e)) => return Err(e),
                Err(PutError::LostRace) => {
                    exists = true;
                    backoff(attempt).await;
                }
            }
        }
        Err(self.contended(key))
    }

    /// When the stored copy is this event's version or a newer one: the answer,
    /// without reading or writing anything.
    pub(super) fn already_current(
        &self,
        key: &ObjectKey,
        stored: &Stored,
        source: &SourceObject,
    ) -> Option<Written> {
        let ours = source.sequencer.as_deref()?;
        // A copy without a sequencer predates sequencer tracking: older than any event.
        let theirs = stored.meta(provenance::SOURCE_SEQUENCER)?;
        match sequencer::compare(theirs, ours) {
            Ordering::Greater => {
                tracing::info!(key = key.as_str(), "a newer version is already copied");
                Some(stored.written(key, Status::Superseded))
            }
            Ordering::Equal => {
                tracing::info!(key = key.as_str(), "this version is already copied");
                Some(stored.written(key, Status::AlreadyExisted))
            }
            Ordering::Less => None,
        }
    }

    /// A backfill (`fill_only`) found a copy of its source object at `key`:
    /// it changes nothing, whichever version the copy holds (a backfill task
    /// carries no sequencer, so it can't tell older from newer, and the copy
    /// there came from a notification or an earlier backfill). `AlreadyExisted`
    /// when the copy is of the version the task names (or the task names
    /// none), `Superseded` when it is of another version, left as it is.
    fn gap_already_filled(
        &self,
        key: &ObjectKey,
        stored: &Stored,
        source: &SourceObject,
    ) -> Written {
        let other_version = source
            .version_id
            .as_deref()
            .is_some_and(|ours| stored.meta(provenance::SOURCE_VERSION_ID) != Some(ours));
        tracing::info!(
            key = key.as_str(),
            other_version,
            "a copy is already there; a backfill fills gaps only"
        );
        let status = if other_version {
            Status::Superseded
        } else {
            Status::AlreadyExisted
        };
        stored.written(key, status)
    }

    /// The version of the source object the event names; `None` when the
    /// source was overwritten since (an unversioned bucket answers 412 to
    /// `If-Match` on the event's ETag).
    pub(super) async fn read_source(
        &self,
        source: &SourceObject,
        source_owner: Option<&str>,
    ) -> Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>, WriteError> {
        let mut get = self
            .source
            .get_object()
            .bucket(&source.bucket)
            .key(&source.key)
            .set_version_id(source.version_id.clone())
            .set_expected_bucket_owner(source_owner.map(str::to_owned));
        if source.version_id.is_none()
            && let Some(etag) = &source.etag
        {
            get = get.if_match(format!("\"{etag}\""));
        }
        match get.send().await {
            Ok(object) => Ok(Some(object)),
            Err(err) if status(&err) == Some(412) => Ok(None),
            Err(err) => Err(WriteError::Source {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                code: code(&err),
                detail: explain(&err),
            }),
        }
    }

    /// Sends a source object across: one PUT when it fits in a part, else a
    /// multipart upload with up to `MAX_CONCURRENT_PARTS` parts in flight (and in memory).
    pub(super) async fn upload(
        &self,
        put: &Put<'_>,
        object: aws_sdk_s3::operation::get_object::GetObjectOutput,
        condition: &Condition,
        source: &SourceObject,
    ) -> Result<Written, PutError> {
        let read_error = |detail: String| {
            PutError::Failed(WriteError::Source {
                bucket: source.bucket.clone(),
                key: source.key.clone(),
                detail,
                code: None,
            })
        };
        let size = u64::try_from(object.content_length.unwrap_or(0)).unwrap_or(0);
        let mut body = object.body;
        if size <= self.settings.part_size as u64 {
            let bytes = body
                .collect()
                .await
                .map_err(|e| read_error(e.to_string()))?
                .into_bytes();
            return self.put(put, bytes, condition).await;
        }
        let part_size = part_size_for(size, self.settings.part_size)
            .ok_or(PutError::Failed(WriteError::TooLarge { size }))?;
        self.multipart(put, &mut body, part_size, condition)
            .await
            .map_err(|e| match e {
                MultipartError::Read(detail) => read_error(detail),
                MultipartError::Put(e) => e,
            })
    }
}
