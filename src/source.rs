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
//! - `shape`: how its events are recognized ([`Shape`]): the `eventSource` of
//!   a `{"Records": [...]}` event, or the top-level fields of any other event;
//! - `batches`: whether its records may share one object in `OBJECT_MODE=batch`
//!   (sources whose record is one object by nature keep one object each);
//! - `answer`: the kind of answer it expects once its records are written;
//! - `accepts`: its shapes in words, for the list of accepted shapes that
//!   refusals of unsupported events give (`events::UnsupportedEvent`).
//!
//! `events::Kind`, `keys::Namespace`, each decoder's `SOURCE`, the shapes
//! `events::classify` recognizes and the batching rule are read from here.
//! This module is a floor: it imports nothing.

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
    /// S3 Batch Operations: a result per task (`Succeeded`, `TemporaryFailure`,
    /// `PermanentFailure`); the invocation itself succeeds.
    BatchOperations,
}

/// How an event of a source is recognized (`events::classify`). `{"Records": [...]}`
/// events are told apart by their records' `eventSource`; other events by their
/// top-level fields, trying the rows in table order after `s3:TestEvent` and
/// before `{"action": ...}`, then the [`Shape::Otherwise`] rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `{"Records": [...]}` whose first record's `eventSource` (or `EventSource`) is this.
    Records(&'static str),
    /// A top-level string field `.0` whose value is one of `.1`.
    FieldIs(&'static str, &'static [&'static str]),
    /// Every top-level field of `all`, and at least one of `any` (unless it is empty).
    Fields {
        all: &'static [&'static str],
        any: &'static [&'static str],
    },
    /// Any of these top-level fields, when no other shape matched.
    Otherwise(&'static [&'static str]),
}

/// What a row says of its source.
struct Row {
    name: &'static str,
    namespace: &'static str,
    shape: Shape,
    batches: bool,
    answer: Answer,
    accepts: &'static str,
}

/// Defines [`Source`] from its rows, so the list of sources is written once.
macro_rules! sources {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            name: $name:literal,
            namespace: $namespace:literal,
            shape: $shape:expr,
            batches: $batches:literal,
            answer: $answer:ident,
            accepts: $accepts:literal $(,)?
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
                        shape: $shape,
                        batches: $batches,
                        answer: Answer::$answer,
                        accepts: $accepts,
                    },)*
                }
            }
        }
    };
}

sources! {
    Sqs { name: "sqs", namespace: "sqs", shape: Shape::Records("aws:sqs"), batches: true, answer: Sqs,
        accepts: "an SQS batch",
    },
    Sns {
        name: "sns", namespace: "sns", shape: Shape::Records("aws:sns"), batches: true,
        answer: AllOrError, accepts: "an SNS notification",
    },
    EventBridge {
        name: "eventbridge", namespace: "events",
        shape: Shape::Fields { all: &["detail-type", "source"], any: &[] },
        batches: false, answer: AllOrError, accepts: "an EventBridge event",
    },
    /// S3 ObjectCreated notifications: the object is copied across.
    S3 {
        name: "s3", namespace: "s3", shape: Shape::Records("aws:s3"), batches: false,
        answer: AllOrError,
        accepts: "an S3 ObjectCreated notification (direct, or in an SQS message, an SNS notification or an EventBridge event)",
    },
    /// SES receipt rules (Lambda action): the notification, or the raw mail.
    Ses {
        name: "ses", namespace: "ses", shape: Shape::Records("aws:ses"), batches: false,
        answer: AllOrError, accepts: "an SES receipt (Lambda action)",
    },
    /// API Gateway REST v1 / HTTP API v2, Function URLs.
    Http {
        name: "http", namespace: "http",
        shape: Shape::Fields { all: &["requestContext"], any: &["httpMethod", "rawPath"] },
        batches: false, answer: Http,
        accepts: "an API Gateway HTTP API v2 / REST v1, Function URL or ALB target request",
    },
    /// A direct invocation: `{"body": ...}` or `{"objects": [...]}`. Only its
    /// records with derived keys batch (a caller-named key is kept as named).
    Direct {
        name: "direct", namespace: "direct",
        shape: Shape::Otherwise(&["body", "body_base64", "objects"]),
        batches: true, answer: Direct,
        accepts: "a direct invocation {\"key\"?, \"body\" | \"body_base64\", \"content_type\"?, \"metadata\"?} or {\"objects\": [...]}",
    },
    /// Kinesis Data Streams.
    Kinesis {
        name: "kinesis", namespace: "kinesis", shape: Shape::Records("aws:kinesis"), batches: true,
        answer: Streams, accepts: "a Kinesis Data Streams batch",
    },
    /// DynamoDB Streams.
    DynamoDb {
        name: "dynamodb", namespace: "dynamodb", shape: Shape::Records("aws:dynamodb"),
        batches: true, answer: Streams, accepts: "a DynamoDB Streams batch",
    },
    /// Amazon MSK or self-managed Apache Kafka (recognized by their own `eventSource`).
    Kafka {
        name: "kafka", namespace: "kafka",
        shape: Shape::FieldIs("eventSource", &["aws:kafka", "SelfManagedKafka"]),
        batches: true, answer: AllOrError, accepts: "an MSK or self-managed Kafka batch",
    },
    /// CloudWatch Logs subscription deliveries (`{"awslogs": {"data": ...}}`, or
    /// the same data in a Kinesis record): one NDJSON object per delivery, which
    /// is already the batch of its log events, so it joins no envelope batch.
    CloudWatchLogs {
        name: "logs", namespace: "logs", shape: Shape::Fields { all: &["awslogs"], any: &[] },
        batches: false, answer: AllOrError,
        accepts: "a CloudWatch Logs subscription delivery {\"awslogs\": {\"data\": ...}}",
    },
    /// S3 Batch Operations (Lambda invoke, invocation schema 1.0 and 2.0): each
    /// task copies its object as an S3 notification would, only where no copy is.
    S3Batch {
        name: "s3-batch", namespace: "s3-batch",
        shape: Shape::Fields { all: &["invocationSchemaVersion", "tasks"], any: &[] },
        batches: false, answer: BatchOperations,
        accepts: "an S3 Batch Operations invocation (schema 1.0 or 2.0)",
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

    /// Its shapes in words, for refusals' list of accepted shapes.
    pub const fn accepts(self) -> &'static str {
        self.row().accepts
    }

    /// How its events are recognized.
    pub const fn shape(self) -> Shape {
        self.row().shape
    }

    /// The source whose `{"Records": [...]}` events carry `event_source`.
    pub fn of_records(event_source: &str) -> Option<Source> {
        Self::ALL
            .into_iter()
            .find(|s| matches!(s.shape(), Shape::Records(tag) if tag == event_source))
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
            .filter_map(|s| match s.shape() {
                Shape::Records(tag) => Some(tag),
                _ => None,
            })
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
