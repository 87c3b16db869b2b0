//! Ordering S3 events on one key by their `sequencer`.
//!
//! S3 delivers notifications at least once and in no particular order, so a
//! late redelivery of an old event must not roll a copy back. AWS's "Event
//! message structure" page (Amazon S3 User Guide, notification-content-structure)
//! gives the rule: for events on the **same object key**, the event with the
//! greater `sequencer` hexadecimal value happened later; sequencers can have
//! different lengths, so "first left-pad the shorter value with zeros, and then
//! do a lexicographical comparison". Sequencers of different keys can't be
//! compared, which is fine: the destination key identifies the source key.

use std::cmp::Ordering;

/// Whether `s` can be a sequencer: a non-empty string of hex digits.
pub fn is_valid(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares two sequencers of one key by AWS's rule (left-pad with zeros, then
/// lexicographic), case-insensitively since both are hex.
pub fn compare(a: &str, b: &str) -> Ordering {
    let width = a.len().max(b.len());
    padded(a, width).cmp(padded(b, width))
}

fn padded(s: &str, width: usize) -> impl Iterator<Item = u8> + '_ {
    std::iter::repeat_n(b'0', width - s.len()).chain(s.bytes().map(|b| b.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shorter_values_are_left_padded() {
        assert_eq!(compare("0A", "A"), Ordering::Equal);
        assert_eq!(compare("FF", "100"), Ordering::Less);
        assert_eq!(
            compare("0055AED6DCD90281E5", "0055AED6DCD90281E6"),
            Ordering::Less
        );
        assert_eq!(compare("abc", "ABC"), Ordering::Equal);
        assert!(is_valid("0055AED6DCD90281E5"));
        assert!(!is_valid("") && !is_valid("12g"));
    }

    proptest! {
        #[test]
        fn agrees_with_numeric_order(a in any::<u64>(), b in any::<u64>(), pad_a in 0usize..4, pad_b in 0usize..4) {
            let sa = format!("{}{a:X}", "0".repeat(pad_a));
            let sb = format!("{}{b:x}", "0".repeat(pad_b));
            prop_assert_eq!(compare(&sa, &sb), a.cmp(&b));
        }
    }
}
