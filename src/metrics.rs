//! Per-invocation metrics in CloudWatch's Embedded Metric Format (EMF): one
//! JSON line on stdout that CloudWatch Logs turns into metrics, with no agent,
//! no API call and no extra permission.
//!
//! The document is built from the invocation's own outcomes, so concurrent
//! invocations in one process can never mix their numbers (a process-wide
//! recorder, like the `metrics` facade's, would). It names counts, bytes and
//! latencies only: never a body, a key or a credential.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Map, Value, json};

pub use crate::config::MetricsConfig;
use crate::record::{Outcome, Results, Status};

/// EMF takes at most 100 values for one metric in one document.
const MAX_VALUES: usize = 100;

/// What one invocation did, as the metrics count it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub records_received: u64,
    pub objects_created: u64,
    pub objects_already_present: u64,
    pub records_failed: u64,
    pub bytes_written: u64,
    /// Milliseconds each write took (failed ones included).
    pub write_latency_ms: Vec<f64>,
    pub assume_role_calls: u64,
    pub cold_start: bool,
}

impl Tally {
    /// Counts the outcomes of one invocation, one object per record;
    /// `latencies` are the writes' durations.
    #[cfg(test)]
    pub fn of(outcomes: &[Outcome], latencies: &[Duration]) -> Self {
        Self::of_objects(outcomes, outcomes, latencies)
    }

    /// Counts records by their outcomes and objects by theirs (one per object
    /// written or checked: a batch object holds many records).
    pub fn of_results(results: &Results) -> Self {
        Self::of_objects(&results.records, &results.objects, &results.latencies)
    }

    fn of_objects(records: &[Outcome], objects: &[Outcome], latencies: &[Duration]) -> Self {
        let mut tally = Tally {
            records_received: records.len() as u64,
            records_failed: records.iter().filter(|o| o.is_err()).count() as u64,
            write_latency_ms: latencies
                .iter()
                .map(|d| (d.as_secs_f64() * 1e4).round() / 10.0)
                .collect(),
            ..Tally::default()
        };
        for written in objects.iter().filter_map(|o| o.as_ref().ok()) {
            match written.status {
                Status::Created | Status::Replaced => {
                    tally.objects_created += 1;
                    tally.bytes_written += written.bytes;
                }
                Status::AlreadyExisted | Status::Superseded => tally.objects_already_present += 1,
            }
        }
        tally
    }
}

impl MetricsConfig {
    /// The EMF documents for one invocation of `source`, as JSON lines: one,
    /// or more when more than 100 writes need their latencies recorded (EMF's
    /// limit per metric and document); the extra ones carry only `WriteLatency`.
    pub fn documents(&self, source: &str, tally: &Tally, timestamp_ms: u64) -> Vec<String> {
        let mut chunks = tally.write_latency_ms.chunks(MAX_VALUES);
        let first_latencies = chunks.next().unwrap_or_default();
        let counts = [
            ("RecordsReceived", "Count", tally.records_received),
            ("ObjectsCreated", "Count", tally.objects_created),
            (
                "ObjectsAlreadyPresent",
                "Count",
                tally.objects_already_present,
            ),
            ("RecordsFailed", "Count", tally.records_failed),
            ("BytesWritten", "Bytes", tally.bytes_written),
            ("AssumeRoleCalls", "Count", tally.assume_role_calls),
            ("ColdStart", "Count", u64::from(tally.cold_start)),
        ];
        let mut metrics: Vec<(&str, &str, Value)> = counts
            .iter()
            .map(|(name, unit, n)| (*name, *unit, json!(n)))
            .collect();
        if !first_latencies.is_empty() {
            metrics.push(("WriteLatency", "Milliseconds", json!(first_latencies)));
        }
        let mut out = vec![self.document(source, timestamp_ms, &metrics)];
        for chunk in chunks {
            let latency = [("WriteLatency", "Milliseconds", json!(chunk))];
            out.push(self.document(source, timestamp_ms, &latency));
        }
        out
    }

    fn document(&self, source: &str, timestamp_ms: u64, metrics: &[(&str, &str, Value)]) -> String {
        let definitions: Vec<Value> = metrics
            .iter()
            .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit }))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [["FunctionName"], ["FunctionName", "Source"]],
                    "Metrics": definitions,
                }],
            }),
        );
        if let Some((level, timestamp)) = self.log.stamp(timestamp_ms) {
            root.insert("level".into(), json!(level));
            root.insert("timestamp".into(), json!(timestamp));
        }
        root.insert("FunctionName".into(), json!(self.function_name));
        root.insert("Source".into(), json!(source));
        for (name, _, value) in metrics {
            root.insert((*name).into(), value.clone());
        }
        let mut line = Value::Object(root).to_string();
        let _ = writeln!(line);
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Failure, Written};
    use crate::telemetry::LogSettings;

    fn config() -> MetricsConfig {
        MetricsConfig {
            namespace: "writer".into(),
            function_name: "fn".into(),
            log: LogSettings::default(),
        }
    }

    fn written(status: Status, bytes: u64) -> Outcome {
        Ok(Written {
            key: "incoming/secret-key".into(),
            status,
            etag: None,
            version_id: None,
            bytes,
        })
    }

    /// Checks `line` against the EMF rules: root `_aws` with an integer
    /// Timestamp, directives with a Namespace, dimension sets naming string
    /// members, at most 100 metrics each with a known unit and a numeric
    /// member (or at most 100 numbers).
    fn assert_valid_emf(line: &str) -> Value {
        assert!(
            line.ends_with('\n') && !line[..line.len() - 1].contains('\n'),
            "one line"
        );
        let doc: Value = serde_json::from_str(line).expect("JSON");
        let aws = &doc["_aws"];
        assert!(aws["Timestamp"].is_u64(), "{doc}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
        assert!(!directives.is_empty());
        for d in directives {
            let ns = d["Namespace"].as_str().expect("namespace");
            assert!(!ns.is_empty() && ns.len() <= 1024);
            for set in d["Dimensions"].as_array().expect("dimension sets") {
                let set = set.as_array().expect("a dimension set");
                assert!(!set.is_empty() && set.len() <= 30);
                for name in set {
                    assert!(
                        doc[name.as_str().unwrap()].is_string(),
                        "dimension {name} missing"
                    );
                }
            }
            let metrics = d["Metrics"].as_array().expect("metrics");
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for m in metrics {
                let name = m["Name"].as_str().expect("name");
                assert!(["Count", "Bytes", "Milliseconds"].contains(&m["Unit"].as_str().unwrap()));
                match &doc[name] {
                    Value::Number(_) => {}
                    Value::Array(values) => {
                        assert!(!values.is_empty() && values.len() <= 100);
                        assert!(values.iter().all(Value::is_number));
                    }
                    other => panic!("{name} is {other}"),
                }
            }
        }
        doc
    }

    #[test]
    fn numbers_match_the_outcomes() {
        let outcomes = vec![
            written(Status::Created, 10),
            written(Status::Replaced, 5),
            written(Status::AlreadyExisted, 99),
            written(Status::Superseded, 99),
            Err(Failure {
                id: Some("m".into()),
                message: "x".into(),
                code: None,
                cause: crate::record::Cause::Write,
            }),
        ];
        let latencies = [Duration::from_micros(1500); 5];
        let mut tally = Tally::of(&outcomes, &latencies);
        tally.assume_role_calls = 1;
        tally.cold_start = true;
        let docs = config().documents("sqs", &tally, 1_700_000_000_000);
        assert_eq!(docs.len(), 1);
        let doc = assert_valid_emf(&docs[0]);
        assert_eq!(doc["RecordsReceived"], 5);
        assert_eq!(doc["ObjectsCreated"], 2);
        assert_eq!(doc["ObjectsAlreadyPresent"], 2);
        assert_eq!(doc["RecordsFailed"], 1);
        assert_eq!(doc["BytesWritten"], 15);
        assert_eq!(doc["AssumeRoleCalls"], 1);
        assert_eq!(doc["ColdStart"], 1);
        assert_eq!(doc["WriteLatency"], json!([1.5, 1.5, 1.5, 1.5, 1.5]));
        assert_eq!(doc["Source"], "sqs");
        assert!(!docs[0].contains("secret-key"), "no keys in metrics");
    }

    #[test]
    fn more_than_100_latencies_split_into_documents() {
        let outcomes: Vec<Outcome> = (0..250).map(|_| written(Status::Created, 1)).collect();
        let latencies = vec![Duration::from_millis(2); 250];
        let docs = config().documents("direct", &Tally::of(&outcomes, &latencies), 1);
        assert_eq!(docs.len(), 3);
        let values: usize = docs
            .iter()
            .map(|d| {
                assert_valid_emf(d)["WriteLatency"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(values, 250);
        assert_eq!(assert_valid_emf(&docs[0])["ObjectsCreated"], 250);
        assert!(assert_valid_emf(&docs[1]).get("ObjectsCreated").is_none());
    }

    #[test]
    fn an_invocation_without_writes_has_no_latency_metric() {
        let docs = config().documents("whoami", &Tally::default(), 1);
        let doc = assert_valid_emf(&docs[0]);
        assert!(doc.get("WriteLatency").is_none());
        assert_eq!(doc["RecordsReceived"], 0);
    }

    #[test]
    fn in_json_format_every_document_passes_lambdas_filter_at_every_level() {
        use crate::telemetry::LogLevel;
        use crate::telemetry::tests::lambda_keeps;
        let outcomes: Vec<Outcome> = (0..150).map(|_| written(Status::Created, 1)).collect();
        let tally = Tally::of(&outcomes, &vec![Duration::from_millis(2); 150]);
        for level in LogLevel::ALL {
            let metrics = MetricsConfig {
                log: LogSettings { json: true, level },
                ..config()
            };
            let docs = metrics.documents("sqs", &tally, 1_700_000_000_123);
            assert_eq!(docs.len(), 2);
            for line in &docs {
                let doc = assert_valid_emf(line);
                assert_eq!(lambda_keeps(line, level), (level, true), "{line}");
                let timestamp = doc["timestamp"].as_str().unwrap();
                let parsed = chrono::DateTime::parse_from_rfc3339(timestamp).unwrap();
                assert_eq!(
                    parsed.timestamp_millis(),
                    1_700_000_000_123,
                    "the EMF Timestamp's instant"
                );
                assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_123u64);
            }
            assert_eq!(
                assert_valid_emf(&docs[0])["ObjectsCreated"],
                150,
                "values unchanged"
            );
        }
    }

    #[test]
    fn in_text_format_documents_are_unchanged() {
        let line = &config().documents("whoami", &Tally::default(), 1)[0];
        let doc = assert_valid_emf(line);
        assert!(
            doc.get("level").is_none() && doc.get("timestamp").is_none(),
            "{line}"
        );
    }
}
