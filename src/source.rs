//! The sources the function takes records from: one row each, and the only list.
//!
//! A row holds what the rest of the function needs to know of a source besides
//! its decoder (`events/<source>.rs`):
//! - `name`: the `source` metadata of every object it writes, the `Source`
//!   dimension of the metrics, and what logs and decode errors call it;
//! - `namespace`: the first segment of its derived keys. It is the name for
//!   every source but EventBridge, whose keys have started with `events/`
//!   since the first release while its objects say `source: eventbridge`;
//!   both are kept, as stored keys and readers' filters depend on them;
//! - `records_from`: the `eventSource` of a `{"Records": [...]}` event that
//!   is this source's, for the sources whose events have that shape;
//! - `batches`: whether its records may share one object in `OBJECT_MODE=batch`
//!   (sources whose record is one object by nature keep one object each);
//! - `answer`: the kind of answer it expects once its records are written.
//!
//! `events::Kind`, `keys::Namespace`, each decoder's `SOURCE` and the batching
//! rule are read from here. This module is a floor: it imports nothing.

/// The kind of answer a source expects, given every record's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// SQS: the failed message IDs only (`batchItemFailures`).
    Sqs,
    /// Kinesis, DynamoDB Streams: the failed sequence numbers only.
    Streams,
    /// An error when any record failed, so Lambda retries the event.
    AllOrError,
    /// An HTTP response of the request's own flavor.
    Http,
    /// A summary of what was written, and an error when any object failed.
    Direct,
}

/// What a row says of its source.
struct Row {
    name: &'static str,
    namespace: &'static str,
    records_from: Option<&'static str>,
    batches: bool,
    answer: Answer,
}

/// Defines [`Source`] from its rows, so the list of sources is written once.
macro_rules! sources {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            name: $name:literal,
            namespace: $namespace:literal,
            records_from: $records_from:expr,
            batches: $batches:literal,
            answer: $answer:ident $(,)?
        }
    ),* $(,)?) => {
        /// A source of records. The order is the order of [`Source::ALL`] (and of
        /// the reserved namespaces in error messages).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Source {
            $( $(#[$doc])* $variant, )*
        }

        impl Source {
            /// Every source, in table order.
            pub const ALL: [Source; [$(stringify!($variant)),*].len()] = [$(Source::$variant),*];

            const fn row(self) -> Row {
                match self {
                    $(Source::$variant => Row {
                        name: $name,
                        namespace: $namespace,
                        records_from: $records_from,
                        batches: $batches,
                        answer: Answer::$answer,
                    },)*
                }
            }
        }
    };
}

sources! {
    Sqs { name: "sqs", namespace: "sqs", records_from: Some("aws:sqs"), batches: true, answer: Sqs },
    Sns { name: "sns", namespace: "sns", records_from: Some("aws:sns"), batches: true, answer: AllOrError },
    EventBridge {
        name: "eventbridge", namespace: "events", records_from: None, batches: false, answer: AllOrError,
    },
    /// S3 ObjectCreated notifications: the object is copied across.
    S3 { name: "s3", namespace: "s3", records_from: Some("aws:s3"), batches: false, answer: AllOrError },
    /// SES receipt rules (Lambda action): the notification, or the raw mail.
    Ses { name: "ses", namespace: "ses", records_from: Some("aws:ses"), batches: false, answer: AllOrError },
    /// API Gateway REST v1 / HTTP API v2, Function URLs.
    Http { name: "http", namespace: "http", records_from: None, batches: false, answer: Http },
    /// A direct invocation: `{"body": ...}` or `{"objects": [...]}`. Only its
    /// records with derived keys batch (a caller-named key is kept as named).
    Direct { name: "direct", namespace: "direct", records_from: None, batches: true, answer: Direct },
    /// Kinesis Data Streams.
    Kinesis {
        name: "kinesis", namespace: "kinesis", records_from: Some("aws:kinesis"), batches: true,
        answer: Streams,
    },
    /// DynamoDB Streams.
    DynamoDb {
        name: "dynamodb", namespace: "dynamodb", records_from: Some("aws:dynamodb"), batches: true,
        answer: Streams,
    },
    /// Amazon MSK or self-managed Apache Kafka (recognized by their own `eventSource`).
    Kafka { name: "kafka", namespace: "kafka", records_from: None, batches: true, answer: AllOrError },
    /// CloudWatch Logs subscription deliveries (`{"awslogs": {"data": ...}}`, or
    /// the same data in a Kinesis record): one NDJSON object per delivery, which
    /// is already the batch of its log events, so it joins no envelope batch.
    CloudWatchLogs {
        name: "logs", namespace: "logs", records_from: None, batches: false, answer: AllOrError,
    },
}

impl Source {
    /// The source's name: `source` metadata, the metrics' `Source`, logs, errors.
    pub const fn name(self) -> &'static str {
        self.row().name
    }

    /// The first segment of the keys derived from its records.
    pub const fn namespace(self) -> &'static str {
        self.row().namespace
    }

    /// Whether its inline records may share a batch object (`OBJECT_MODE=batch`).
    pub const fn batches(self) -> bool {
        self.row().batches
    }

    /// The answer it expects.
    pub const fn answer(self) -> Answer {
        self.row().answer
    }

    /// The source whose `{"Records": [...]}` events carry `event_source`.
    pub fn of_records(event_source: &str) -> Option<Source> {
        Self::ALL
            .into_iter()
            .find(|s| s.row().records_from == Some(event_source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_namespaces_and_record_tags_are_each_unique() {
        let names: HashSet<_> = Source::ALL.map(Source::name).into();
        let namespaces: HashSet<_> = Source::ALL.map(Source::namespace).into();
        let tags: Vec<_> = Source::ALL
            .iter()
            .filter_map(|s| s.row().records_from)
            .collect();
        assert_eq!(names.len(), Source::ALL.len());
        assert_eq!(namespaces.len(), Source::ALL.len());
        assert_eq!(tags.iter().collect::<HashSet<_>>().len(), tags.len());
    }

    #[test]
    fn eventbridge_keeps_its_two_observable_names() {
        assert_eq!(Source::EventBridge.name(), "eventbridge");
        assert_eq!(Source::EventBridge.namespace(), "events");
        for source in Source::ALL {
            if source != Source::EventBridge {
                assert_eq!(source.name(), source.namespace());
            }
        }
    }

    #[test]
    fn records_events_are_recognized_by_their_event_source() {
        assert_eq!(Source::of_records("aws:sqs"), Some(Source::Sqs));
        assert_eq!(Source::of_records("aws:dynamodb"), Some(Source::DynamoDb));
        assert_eq!(Source::of_records("aws:kafka"), None);
        assert_eq!(Source::of_records("aws:lambda"), None);
    }
}
