//! How records become objects: `OBJECT_MODE`, `BATCH_FORMAT`, `MAX_BATCH_BYTES`, `CONTENT_ENCODING`.

use super::reader::Reader;
use super::{MIB, settings};

/// Default cap on one batch object (uncompressed): Firehose's default buffer size.
pub const DEFAULT_MAX_BATCH_BYTES: usize = 5 * MIB;
pub(super) const MIN_MAX_BATCH_BYTES: usize = 1024;
/// Bounds what one object holds in memory.
pub(super) const MAX_MAX_BATCH_BYTES: usize = 512 * MIB;

/// `OBJECT_MODE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ObjectMode {
    /// One object per record (the default).
    #[default]
    Record,
    /// One NDJSON object per batch of a batching source.
    Batch,
}

/// `CONTENT_ENCODING`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContentEncoding {
    /// Stored as is (the default).
    #[default]
    Identity,
    /// gzip, deterministic (fixed level, no name, no timestamp).
    Gzip,
}

/// How records become objects: `OBJECT_MODE`, `BATCH_FORMAT`, `MAX_BATCH_BYTES`, `CONTENT_ENCODING`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub mode: ObjectMode,
    pub max_batch_bytes: usize,
    pub encoding: ContentEncoding,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            mode: ObjectMode::Record,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
            encoding: ContentEncoding::Identity,
        }
    }
}

impl Delivery {
    pub(super) fn read(r: &mut Reader<impl Fn(&str) -> Option<String>>) -> Self {
        let mode = [ObjectMode::Record, ObjectMode::Batch][r.choice(&settings::OBJECT_MODE)];
        r.choice(&settings::BATCH_FORMAT);
        Delivery {
            mode,
            max_batch_bytes: r.number(&settings::MAX_BATCH_BYTES) as usize,
            encoding: [ContentEncoding::Identity, ContentEncoding::Gzip]
                [r.choice(&settings::CONTENT_ENCODING)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn delivery_is_validated() {
        let parse = |vars: &[(&str, &str)]| {
            let mut r = Reader {
                lookup: |name: &str| {
                    vars.iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.to_string())
                },
                problems: Vec::new(),
            };
            let d = Delivery::read(&mut r);
            (d, r.problems.iter().map(|p| p.variable).collect::<Vec<_>>())
        };
        assert_eq!(parse(&[]), (Delivery::default(), vec![]));
        let (d, problems) = parse(&[
            ("OBJECT_MODE", "batch"),
            ("BATCH_FORMAT", "ndjson"),
            ("MAX_BATCH_BYTES", "2048"),
            ("CONTENT_ENCODING", "gzip"),
        ]);
        assert!(problems.is_empty());
        assert_eq!(
            d,
            Delivery {
                mode: ObjectMode::Batch,
                max_batch_bytes: 2048,
                encoding: ContentEncoding::Gzip
            }
        );
        let (_, problems) = parse(&[
            ("OBJECT_MODE", "lines"),
            ("BATCH_FORMAT", "parquet"),
            ("MAX_BATCH_BYTES", "10"),
            ("CONTENT_ENCODING", "zstd"),
        ]);
        assert_eq!(
            problems,
            [
                "OBJECT_MODE",
                "BATCH_FORMAT",
                "MAX_BATCH_BYTES",
                "CONTENT_ENCODING"
            ]
        );
        // Reported with the rest of the configuration's problems, at start.
        let err =
            Config::from_lookup(|name| (name == "CONTENT_ENCODING").then(|| "brotli".to_owned()))
                .unwrap_err();
        let variables: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            variables,
            ["TARGET_ROLE_ARN", "TARGET_BUCKET", "CONTENT_ENCODING"]
        );
    }
}
