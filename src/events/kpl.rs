//! KPL aggregation: many user records packed into one Kinesis record by the
//! Kinesis Producer Library (or AWS's aggregation libraries).
//!
//! The format: the magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, then
//! the 16-byte MD5 of the protobuf bytes. What counts as an aggregate is what
//! the KCL's deaggregation counts (`AggregatorUtil`), so a record means here
//! what it means to every other consumer of the stream:
//!
//! - no magic, or no more than the 16-byte trailer after it, or a trailer that
//!   is not the MD5 of what precedes it: **not an aggregate**, the data is one
//!   record, stored whole;
//! - a matching trailer: an aggregate. Its user records, in order, are the
//!   records. One with zero user records yields none (the KCL hands its
//!   consumer nothing for it either).
//!
//! Where this differs from the KCL, it fails rather than loses data: a
//! protobuf that does not decode (the KCL then hands the bytes over as one
//! plain record) or a user record naming a partition key or explicit hash
//! key outside the tables, or lacking a required field (the KCL logs an error
//! and drops that user record and the rest) is an [`AggregateError`], which
//! fails the whole Kinesis record. With the trailer matching, such bytes came
//! from a broken producer, not from chance: failing sends the record to the
//! stream's on-failure destination instead of writing a half or a
//! mis-framed copy of it.
//!
//! The KCL also drops user records whose hash key falls outside the shard's
//! range (after a reshard): Lambda does not tell a function the shard's range,
//! so every user record is kept.
//!
//! Pure: bytes in, user records (or not an aggregate, or why not) out.

use bytes::Bytes;
use md5::{Digest as _, Md5};
use prost::Message as _;

/// The first four bytes of an aggregate.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The MD5 trailer.
const DIGEST_BYTES: usize = 16;

/// One user record of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its own partition key (from the aggregate's partition key table).
    pub partition_key: String,
    /// Its bytes, as the producer gave them.
    pub data: Bytes,
}

/// The most user records one aggregate may hold. Each becomes a record of its
/// own (key, metadata, outcome), a few hundred bytes each: a hostile 1 MiB
/// aggregate of one-byte records would otherwise make some 150,000 of them,
/// and a 6 MB batch of such aggregates more than a 128 MB function holds.
/// The KPL's default aggregate is at most 50 KiB (`AggregationMaxSize`), so
/// real aggregates stay far below this.
pub const MAX_USER_RECORDS: usize = 10_000;

/// Why an aggregate (its trailer matched) could not be taken apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("KPL aggregate whose MD5 matches but whose protobuf does not decode: {0}")]
    Protobuf(String),
    #[error("KPL aggregate of {count} user records; at most {MAX_USER_RECORDS} are taken")]
    TooMany { count: usize },
    #[error("KPL aggregate: user record {index} has no {field}")]
    Missing { index: usize, field: &'static str },
    #[error("KPL aggregate: user record {index} names {table} entry {at}, but the table has {len}")]
    OutOfRange {
        index: usize,
        table: &'static str,
        at: u64,
        len: usize,
    },
}

/// The user records of `data` when it is an aggregate (in their order there);
/// `None` when it is not one, and so is one record as it is.
pub fn deaggregate(data: &Bytes) -> Result<Option<Vec<UserRecord>>, AggregateError> {
    let Some(message) = aggregate_body(data) else {
        return Ok(None);
    };
    let aggregate =
        AggregatedRecord::decode(message).map_err(|e| AggregateError::Protobuf(e.to_string()))?;
    let AggregatedRecord {
        partition_key_table: keys,
        explicit_hash_key_table: hash_keys,
        records,
    } = aggregate;
    if records.len() > MAX_USER_RECORDS {
        return Err(AggregateError::TooMany {
            count: records.len(),
        });
    }
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let missing = |field| AggregateError::Missing { index, field };
            let entry = |table: &'static str, at: u64, len: usize| {
                usize::try_from(at)
                    .ok()
                    .filter(|&at| at < len)
                    .ok_or(AggregateError::OutOfRange {
                        index,
                        table,
                        at,
                        len,
                    })
            };
            let at = record
                .partition_key_index
                .ok_or_else(|| missing("partition_key_index"))?;
            let partition_key = keys[entry("partition_key_table", at, keys.len())?].clone();
            if let Some(at) = record.explicit_hash_key_index {
                entry("explicit_hash_key_table", at, hash_keys.len())?;
            }
            let data = record.data.ok_or_else(|| missing("data"))?;
            Ok(UserRecord {
                partition_key,
                data,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The protobuf bytes of an aggregate: after the magic, before a trailer that
/// is their MD5. `None` when `data` is not an aggregate.
fn aggregate_body(data: &Bytes) -> Option<Bytes> {
    let rest = data.strip_prefix(&MAGIC[..])?;
    if rest.len() <= DIGEST_BYTES {
        return None;
    }
    let (message, trailer) = rest.split_at(rest.len() - DIGEST_BYTES);
    if Md5::digest(message).as_slice() != trailer {
        return None;
    }
    // A view into `data`: the user records' bytes are not copied.
    Some(data.slice(MAGIC.len()..MAGIC.len() + message.len()))
}

// The KPL's messages.proto (proto2), by hand. Required fields are declared
// optional so that a missing one is told apart from a zero or an empty value.

#[derive(Clone, PartialEq, prost::Message)]
struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<KplRecord>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct KplRecord {
    /// Required in the .proto.
    #[prost(uint64, optional, tag = "1")]
    partition_key_index: Option<u64>,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    /// Required in the .proto.
    #[prost(bytes = "bytes", optional, tag = "3")]
    data: Option<Bytes>,
    #[prost(message, repeated, tag = "4")]
    tags: Vec<Tag>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Tag {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pk: u64, ehk: Option<u64>, data: &[u8]) -> KplRecord {
        KplRecord {
            partition_key_index: Some(pk),
            explicit_hash_key_index: ehk,
            data: Some(Bytes::copy_from_slice(data)),
            tags: Vec::new(),
        }
    }

    fn aggregate(keys: &[&str], hash_keys: &[&str], records: Vec<KplRecord>) -> Vec<u8> {
        AggregatedRecord {
            partition_key_table: keys.iter().map(|k| k.to_string()).collect(),
            explicit_hash_key_table: hash_keys.iter().map(|k| k.to_string()).collect(),
            records,
        }
        .encode_to_vec()
    }

    /// Magic, `message`, and `trailer` (its MD5 when `None`).
    fn framed(message: &[u8], trailer: Option<[u8; 16]>) -> Bytes {
        let digest: [u8; 16] = trailer.unwrap_or_else(|| Md5::digest(message).into());
        Bytes::from([&MAGIC[..], message, &digest].concat())
    }

    fn user(pk: &str, data: &[u8]) -> UserRecord {
        UserRecord {
            partition_key: pk.to_owned(),
            data: Bytes::copy_from_slice(data),
        }
    }

    #[test]
    fn an_aggregate_gives_its_user_records_in_order() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        let message = aggregate(
            &["a", "b/c"],
            &["123"],
            vec![
                record(0, None, b"first"),
                record(1, Some(0), &all_bytes),
                record(0, None, b"third"),
            ],
        );
        assert_eq!(
            deaggregate(&framed(&message, None)),
            Ok(Some(vec![
                user("a", b"first"),
                user("b/c", &all_bytes),
                user("a", b"third")
            ]))
        );
    }

    #[test]
    fn a_wrong_trailer_or_no_magic_is_an_ordinary_record() {
        let message = aggregate(&["a"], &[], vec![record(0, None, b"x")]);
        let mut wrong = framed(&message, None).to_vec();
        *wrong.last_mut().unwrap() ^= 1;
        let no_magic = [&b"F389"[..], &message, &Md5::digest(&message)].concat();
        let truncated = framed(&message, None).slice(..MAGIC.len() + message.len() + 8);
        for data in [
            Bytes::from(wrong),
            Bytes::from(no_magic),
            truncated,
            Bytes::from_static(&MAGIC),
            Bytes::from_static(b""),
            Bytes::from_static(b"{\"plain\":true}"),
            // Magic and exactly a trailer (the MD5 of nothing): nothing to decode, as the KCL says.
            framed(b"", None),
        ] {
            assert_eq!(deaggregate(&data), Ok(None), "{data:?}");
        }
    }

    #[test]
    fn a_matching_trailer_over_bad_protobuf_fails() {
        let message = aggregate(&["a"], &[], vec![record(0, None, b"hello")]);
        let cut = &message[..message.len() - 2];
        assert!(matches!(
            deaggregate(&framed(cut, None)),
            Err(AggregateError::Protobuf(_))
        ));
        // A field of wire type 7 (none such exists).
        assert!(matches!(
            deaggregate(&framed(&[0x0F, 0x01], None)),
            Err(AggregateError::Protobuf(_))
        ));
    }

    #[test]
    fn indexes_outside_the_tables_fail() {
        let message = aggregate(
            &["a"],
            &[],
            vec![record(0, None, b"ok"), record(1, None, b"x")],
        );
        assert_eq!(
            deaggregate(&framed(&message, None)),
            Err(AggregateError::OutOfRange {
                index: 1,
                table: "partition_key_table",
                at: 1,
                len: 1
            })
        );
        let message = aggregate(&["a"], &["9"], vec![record(0, Some(u64::MAX), b"x")]);
        assert_eq!(
            deaggregate(&framed(&message, None)),
            Err(AggregateError::OutOfRange {
                index: 0,
                table: "explicit_hash_key_table",
                at: u64::MAX,
                len: 1
            })
        );
    }

    #[test]
    fn required_fields_must_be_there() {
        let no_index = KplRecord {
            partition_key_index: None,
            ..record(0, None, b"x")
        };
        let no_data = KplRecord {
            data: None,
            ..record(0, None, b"x")
        };
        for (rec, field) in [(no_index, "partition_key_index"), (no_data, "data")] {
            let message = aggregate(&["a"], &[], vec![rec]);
            assert_eq!(
                deaggregate(&framed(&message, None)),
                Err(AggregateError::Missing { index: 0, field })
            );
        }
        // Present but empty data is data: the caller decides what an empty body means.
        let message = aggregate(&["a"], &[], vec![record(0, None, b"")]);
        assert_eq!(
            deaggregate(&framed(&message, None)),
            Ok(Some(vec![user("a", b"")]))
        );
    }

    #[test]
    fn an_aggregate_of_no_user_records_gives_none() {
        // Only a partition key table: a valid aggregate with zero records.
        let message = aggregate(&["a"], &[], Vec::new());
        assert!(!message.is_empty());
        assert_eq!(deaggregate(&framed(&message, None)), Ok(Some(Vec::new())));
    }

    #[test]
    fn an_aggregate_of_too_many_user_records_fails_whole() {
        let at_most = aggregate(&["a"], &[], vec![record(0, None, b"x"); MAX_USER_RECORDS]);
        let users = deaggregate(&framed(&at_most, None)).unwrap().unwrap();
        assert_eq!(users.len(), MAX_USER_RECORDS);
        let one_more = aggregate(
            &["a"],
            &[],
            vec![record(0, None, b"x"); MAX_USER_RECORDS + 1],
        );
        assert_eq!(
            deaggregate(&framed(&one_more, None)),
            Err(AggregateError::TooMany {
                count: MAX_USER_RECORDS + 1
            })
        );
    }

    #[test]
    fn user_records_share_the_aggregates_buffer() {
        let message = aggregate(&["a"], &[], vec![record(0, None, b"shared bytes")]);
        let data = framed(&message, None);
        let users = deaggregate(&data).unwrap().unwrap();
        let range = data.as_ptr_range();
        assert!(range.contains(&users[0].data.as_ptr()), "not copied");
    }
}
