//! SQS FIFO order: within one message group, nothing is written after a failure.
//!
//! AWS's guide to Lambda with SQS says a function reading a FIFO queue must
//! stop at the first failure and report it and every message after it as
//! failed, or the redelivery of the failed message lands after later ones.
//! Order only holds *within* a message group, so it is enough to stop that
//! group (Powertools' batch processor does the same): the failed message and
//! every later message of its group are reported failed and are not written,
//! not even as lines of a batch object, while other groups go on.
//!
//! Two steps keep that promise, one before and one during the writes:
//! - [`Groups::hold_back`]: a record that failed to decode stops its group
//!   before planning, so the later ones never join a batch object;
//! - [`Groups::lanes`]: objects whose records share a group are written one
//!   after the other, in event order, and a failed write holds back the rest
//!   of its lane (see `handler`). Lanes run concurrently.
//!
//! A record without a group (standard queues, every other source) is a lane
//! of its own, so nothing changes for them.

use crate::record::{DecodeError, Decoded, RecordError};

/// The message group of each record of one invocation, in event order
/// (`None`: the record keeps no order with the others).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups(Vec<Option<String>>);

impl Groups {
    /// `groups[n]` is the group of record `n`.
    pub fn new(groups: Vec<Option<String>>) -> Self {
        Self(groups)
    }

    /// Whether any record keeps an order.
    pub fn any(&self) -> bool {
        self.0.iter().any(Option::is_some)
    }

    fn of(&self, record: usize) -> Option<&str> {
        self.0.get(record).and_then(Option::as_deref)
    }

    /// Turns every record after a failed record of its group into a failure
    /// that names the one it waits for.
    pub fn hold_back(&self, decoded: &mut Decoded) {
        if !self.any() {
            return;
        }
        // Per group: the ID of its first failed record.
        let mut stopped: Vec<(&str, String)> = Vec::new();
        for (n, item) in decoded.iter_mut().enumerate() {
            let Some(group) = self.of(n) else { continue };
            if let Some((_, first)) = stopped.iter().find(|(g, _)| *g == group) {
                if let Ok(record) = item {
                    *item = Err(held_back(Some(record.id.clone()), first));
                }
            } else if let Err(failed) = item {
                let first = failed.id.clone().unwrap_or_else(|| format!("#{n}"));
                stopped.push((group, first));
            }
        }
    }

    /// The objects to write one after the other: lanes of object indexes, each
    /// in ascending order, covering `0..objects` once. `object_of[n]` is the
    /// object holding record `n`. Two objects share a lane when any of their
    /// records share a group (a batch object can hold several groups).
    pub fn lanes(&self, object_of: &[usize], objects: usize) -> Vec<Vec<usize>> {
        // Union-find over objects, joined through the groups of their records.
        let mut parent: Vec<usize> = (0..objects).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut first_of_group: Vec<(&str, usize)> = Vec::new();
        for (n, &object) in object_of.iter().enumerate() {
            let (Some(group), true) = (self.of(n), object < objects) else {
                continue;
            };
            match first_of_group.iter().find(|(g, _)| *g == group) {
                Some(&(_, other)) => {
                    let (a, b) = (root(&mut parent, object), root(&mut parent, other));
                    parent[a.max(b)] = a.min(b);
                }
                None => first_of_group.push((group, object)),
            }
        }
        let mut lanes: Vec<Vec<usize>> = Vec::new();
        let mut lane_of_root: Vec<Option<usize>> = vec![None; objects];
        for object in 0..objects {
            let r = root(&mut parent, object);
            match lane_of_root[r] {
                Some(lane) => lanes[lane].push(object),
                None => {
                    lane_of_root[r] = Some(lanes.len());
                    lanes.push(vec![object]);
                }
            }
        }
        lanes
    }
}

/// The failure of a record that waits for `failed`, an earlier record of its group.
pub fn held_back(id: Option<String>, failed: &str) -> RecordError {
    RecordError {
        id,
        error: DecodeError::HeldBack {
            failed: failed.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPrefix;
    use crate::record::{Payload, Record};

    fn groups(of: &[Option<&str>]) -> Groups {
        Groups::new(of.iter().map(|g| g.map(str::to_owned)).collect())
    }

    fn record(id: &str) -> Result<Record, RecordError> {
        Ok(Record {
            id: id.to_owned(),
            key: KeyPrefix::parse("p/").unwrap().caller_given(id).unwrap(),
            payload: Payload::Inline(bytes::Bytes::from_static(b"x")),
            content_type: None,
            metadata: Default::default(),
        })
    }

    fn malformed(id: &str) -> Result<Record, RecordError> {
        Err(RecordError {
            id: Some(id.to_owned()),
            error: DecodeError::EmptyBody,
        })
    }

    fn ids_and_errors(decoded: &Decoded) -> Vec<String> {
        decoded
            .iter()
            .map(|item| match item {
                Ok(r) => format!("ok {}", r.id),
                Err(e) => format!("err {} {}", e.id.as_deref().unwrap_or("-"), e.error),
            })
            .collect()
    }

    #[test]
    fn a_failure_holds_back_the_rest_of_its_group_only() {
        let g = groups(&[Some("a"), Some("b"), Some("a"), Some("a"), Some("b"), None]);
        let mut decoded = vec![
            record("1"),
            record("2"),
            malformed("3"),
            record("4"),
            record("5"),
            record("6"),
        ];
        g.hold_back(&mut decoded);
        let got = ids_and_errors(&decoded);
        assert_eq!(got[0], "ok 1");
        assert_eq!(got[1], "ok 2");
        assert!(got[2].starts_with("err 3 the body is empty"), "{got:?}");
        assert!(
            got[3].starts_with("err 4 not written: message 3"),
            "{got:?}"
        );
        assert_eq!(got[4], "ok 5");
        assert_eq!(got[5], "ok 6");
    }

    #[test]
    fn without_groups_nothing_is_held_back() {
        let g = groups(&[None, None, None]);
        let mut decoded = vec![record("1"), malformed("2"), record("3")];
        g.hold_back(&mut decoded);
        assert_eq!(ids_and_errors(&decoded)[2], "ok 3");
        assert_eq!(g.lanes(&[0, 1, 2], 3), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn objects_of_one_group_share_a_lane_in_event_order() {
        // Record mode: object n holds record n.
        let g = groups(&[Some("a"), Some("b"), Some("a"), None, Some("b")]);
        assert_eq!(
            g.lanes(&[0, 1, 2, 3, 4], 5),
            vec![vec![0, 2], vec![1, 4], vec![3]]
        );
    }

    #[test]
    fn a_batch_object_joins_the_lanes_of_all_its_groups() {
        // Records 0 (a) and 1 (b) share batch object 0; record 2 (b) is object 1;
        // record 3 (a) object 2; record 4 (c) object 3.
        let g = groups(&[Some("a"), Some("b"), Some("b"), Some("a"), Some("c")]);
        assert_eq!(g.lanes(&[0, 0, 1, 2, 3], 4), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn lanes_cover_every_object_once_even_for_inconsistent_input() {
        let g = groups(&[Some("a"), Some("a")]);
        // An object index out of range is ignored, never a panic.
        let lanes = g.lanes(&[0, 9], 2);
        let mut all: Vec<usize> = lanes.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1]);
    }
}
