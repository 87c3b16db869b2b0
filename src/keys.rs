//! Object keys: deterministic, sanitized, and always under the configured prefix.
//!
//! Keys are derived from IDs the event source assigns (message IDs, event IDs,
//! request IDs), so a redelivered event maps to the same key and the create-only
//! PUT turns the duplicate into a no-op. Every caller-influenced part is
//! sanitized here, in one place: no empty, `.` or `..` segments, no control
//! characters, no leading `/`, at most 1024 bytes in all, so nothing the caller
//! sends can address a key outside the prefix.

use std::fmt;

/// S3's limit on a key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;
/// Bytes reserved for the `~<16 hex digits>` suffix of a shortened key.
const HASH_SUFFIX_BYTES: usize = 17;
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
    #[error("has an empty, '.' or '..' segment")]
    BadSegment,
    #[error("contains a control character")]
    ControlCharacter,
    #[error("is {len} bytes long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
}

/// The prefix every written key starts with (`KEY_PREFIX`), e.g. `incoming/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrefix(String);

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
        if body
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(KeyError::BadSegment);
        }
        if prefix.len() > MAX_PREFIX_BYTES {
            return Err(KeyError::TooLong {
                len: prefix.len(),
                max: MAX_PREFIX_BYTES,
            });
        }
        Ok(Self(prefix.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key from parts that come from an event (IDs, names, a source object's
    /// key). Never fails: bad segments are neutralized, and a key that would be
    /// too long is cut and suffixed with a hash of the whole, so two long keys
    /// never collide into one (a collision would turn a new object into an
    /// "already written" no-op and lose it).
    pub fn derived(&self, parts: &[&str]) -> ObjectKey {
        let relative = sanitize(parts);
        let budget = MAX_KEY_BYTES - self.0.len();
        let relative = if relative.is_empty() {
            "_".to_owned()
        } else if relative.len() > budget {
            let mut cut = budget - HASH_SUFFIX_BYTES;
            while !relative.is_char_boundary(cut) {
                cut -= 1;
            }
            format!(
                "{}~{:016x}",
                relative[..cut].trim_end_matches('/'),
                fnv1a64(relative.as_bytes())
            )
        } else {
            relative
        };
        ObjectKey(format!("{}{}", self.0, relative))
    }

    /// A key the caller named (direct invocation): sanitized the same way, but
    /// refused rather than shortened when too long, because silently renaming
    /// an object the caller asked for by name would surprise them.
    pub fn caller_given(&self, key: &str) -> Result<ObjectKey, KeyError> {
        let relative = sanitize(&[key]);
        if relative.is_empty() {
            return Err(KeyError::Empty);
        }
        let len = self.0.len() + relative.len();
        if len > MAX_KEY_BYTES {
            return Err(KeyError::TooLong {
                len,
                max: MAX_KEY_BYTES,
            });
        }
        Ok(ObjectKey(format!("{}{}", self.0, relative)))
    }
}

/// A full object key, prefix included. Only [`KeyPrefix`] makes them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Joins parts with `/`, splitting each on `/` so hierarchy in a source key is
/// kept; drops empty and `.` segments, turns `..` into `%2E%2E`, and
/// percent-encodes control characters, so the result is a clean relative path.
fn sanitize(parts: &[&str]) -> String {
    let mut out = String::new();
    for segment in parts.iter().flat_map(|p| p.split('/')) {
        match segment {
            "" | "." => continue,
            ".." => push_segment(&mut out, "%2E%2E"),
            s if s.chars().any(char::is_control) => {
                let mut clean = String::with_capacity(s.len() + 8);
                for c in s.chars() {
                    if c.is_control() {
                        let mut buf = [0u8; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            clean.push_str(&format!("%{b:02X}"));
                        }
                    } else {
                        clean.push(c);
                    }
                }
                push_segment(&mut out, &clean);
            }
            s => push_segment(&mut out, s),
        }
    }
    out
}

fn push_segment(out: &mut String, segment: &str) {
    if !out.is_empty() {
        out.push('/');
    }
    out.push_str(segment);
}

/// FNV-1a, 64 bits: stable across releases and platforms, which a key needs
/// (std's `Hasher`s make no such promise).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn prefix() -> KeyPrefix {
        KeyPrefix::parse("incoming/").unwrap()
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
    fn derived_keys_join_parts_and_keep_source_hierarchy() {
        let key = prefix().derived(&["s3", "source-bucket", "reports/2026/11/a.csv"]);
        assert_eq!(
            key.as_str(),
            "incoming/s3/source-bucket/reports/2026/11/a.csv"
        );
    }

    #[test]
    fn traversal_and_control_characters_are_neutralized() {
        let p = prefix();
        assert_eq!(
            p.derived(&["direct", "../../etc/passwd"]).as_str(),
            "incoming/direct/%2E%2E/%2E%2E/etc/passwd"
        );
        assert_eq!(
            p.caller_given("/abs//./x").unwrap().as_str(),
            "incoming/abs/x"
        );
        assert_eq!(
            p.caller_given("a\u{0}b\nc").unwrap().as_str(),
            "incoming/a%00b%0Ac"
        );
        assert_eq!(p.derived(&["", "/", "."]).as_str(), "incoming/_");
        assert_eq!(p.caller_given("/./"), Err(KeyError::Empty));
    }

    #[test]
    fn long_derived_keys_are_shortened_with_a_hash_and_stay_distinct() {
        let p = prefix();
        let a = p.derived(&["s3", "b", &"x".repeat(2000)]);
        let b = p.derived(&["s3", "b", &format!("{}y", "x".repeat(1999))]);
        assert_eq!(a.as_str().len(), MAX_KEY_BYTES);
        assert_ne!(a, b);
        assert_eq!(
            a,
            p.derived(&["s3", "b", &"x".repeat(2000)]),
            "deterministic"
        );
    }

    #[test]
    fn long_caller_keys_are_refused() {
        assert!(matches!(
            prefix().caller_given(&"k".repeat(1020)),
            Err(KeyError::TooLong { .. })
        ));
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
        assert!(!relative.starts_with('/'), "{k:?}");
        for segment in relative.split('/') {
            assert!(
                !matches!(segment, "" | "." | ".."),
                "{k:?} has segment {segment:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn derived_keys_are_always_safe_and_deterministic(parts in prop::collection::vec(any::<String>(), 0..5)) {
            let p = prefix();
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            let key = p.derived(&refs);
            assert_safe(&p, &key);
            prop_assert_eq!(key, p.derived(&refs));
        }

        #[test]
        fn hostile_derived_keys_are_safe(parts in prop::collection::vec("(\\.\\.|\\.|/|a|\u{0}|\u{7f}|é|\u{10FFFF}){0,700}", 1..4)) {
            let p = prefix();
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            assert_safe(&p, &p.derived(&refs));
        }

        #[test]
        fn caller_keys_are_safe_when_accepted(key in "(\\.\\.|\\.|/|[a-z]|\u{1}|\u{85}|ü){0,1100}") {
            let p = prefix();
            if let Ok(k) = p.caller_given(&key) {
                assert_safe(&p, &k);
            }
        }

        #[test]
        fn any_valid_prefix_keeps_keys_inside(prefix in "[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,3}/", part in any::<String>()) {
            if let Ok(p) = KeyPrefix::parse(&prefix) {
                assert_safe(&p, &p.derived(&[&part]));
            }
        }
    }
}
