//! Every event fixture of the `aws_lambda_events` crate (the version in
//! Cargo.lock, read from the cargo registry) through `events::decode`, against
//! the table below: taken as a source (with its record count and how many of
//! them fail to decode), ignored, or refused with a message naming what it
//! looks like. Every fixture must have a row, so a crate upgrade that brings a
//! new fixture fails here until it is classified. The registry must hold the
//! crate (any build of this project puts it there): when it does not, this
//! test fails rather than skips.

use std::path::{Path, PathBuf};

use cross_account_s3_writer::events::{self, DecodeContext, Request};
use cross_account_s3_writer::keys::KeyPrefix;
use serde_json::value::RawValue;

/// What `events::decode` makes of a fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Taken as `source`: `records` records, `failed` of which fail to decode.
    Accepted {
        source: &'static str,
        records: usize,
        failed: usize,
    },
    /// Nothing to write (`s3:TestEvent`).
    Ignored,
    /// Refused as unsupported; the expectation is a part of the refusal's message.
    Refused(String),
}

use Expect::*;

/// A row's expectation.
enum Expect {
    Accepted(&'static str, usize, usize),
    /// No fixture of aws_lambda_events 1.2.1 is one (an `s3:TestEvent` would be).
    #[allow(dead_code)]
    Ignored,
    /// Refused, the message naming this shape.
    Refused(&'static str),
}

/// Refused as an unknown shape (no source, no known lookalike).
const UNKNOWN: Expect = Refused("an object with fields");

const EXPECTED: &[(&str, Expect)] = &[
    ("example-activemq-event-null-properties.json", UNKNOWN),
    ("example-activemq-event.json", UNKNOWN),
    // GET: a 405 in ALB's shape (the one record fails as MethodNotAllowed).
    (
        "example-alb-lambda-target-request-headers-only.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-alb-lambda-target-request-multivalue-headers.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-alb-lambda-target-response.json",
        Refused("an HTTP response (ALB target shape)"),
    ),
    ("example-apigw-console-request.json", Accepted("http", 1, 0)),
    (
        "example-apigw-console-test-request.json",
        Accepted("http", 1, 0),
    ),
    (
        "example-apigw-custom-auth-request-type-request.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, methodArn)"),
    ),
    (
        "example-apigw-custom-auth-request.json",
        Refused("API Gateway Lambda authorizer event (type TOKEN, methodArn)"),
    ),
    (
        "example-apigw-custom-auth-response-with-condition.json",
        Refused("API Gateway authorizer response"),
    ),
    (
        "example-apigw-custom-auth-response-with-single-value-action.json",
        Refused("API Gateway authorizer response"),
    ),
    (
        "example-apigw-custom-auth-response-with-single-value-resource.json",
        Refused("API Gateway authorizer response"),
    ),
    (
        "example-apigw-custom-auth-response.json",
        Refused("API Gateway authorizer response"),
    ),
    (
        "example-apigw-request-catch-all.json",
        Accepted("http", 1, 0),
    ),
    (
        "example-apigw-request-multi-value-parameters.json",
        Accepted("http", 1, 0),
    ),
    ("example-apigw-request.json", Accepted("http", 1, 0)),
    ("example-apigw-response.json", Refused("an HTTP response;")),
    (
        "example-apigw-restapi-openapi-request.json",
        Accepted("http", 1, 0),
    ),
    (
        "example-apigw-sam-http-request.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-sam-rest-request.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-v2-custom-authorizer-v1-request.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, methodArn)"),
    ),
    (
        "example-apigw-v2-custom-authorizer-v2-request-null-maps.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, routeArn)"),
    ),
    (
        "example-apigw-v2-custom-authorizer-v2-request-without-cookies.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, routeArn)"),
    ),
    (
        "example-apigw-v2-custom-authorizer-v2-request-without-identity-source.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, routeArn)"),
    ),
    (
        "example-apigw-v2-custom-authorizer-v2-request.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, routeArn)"),
    ),
    (
        "example-apigw-v2-custom-authorizer-websocket-request.json",
        Refused("API Gateway Lambda authorizer event (type REQUEST, methodArn)"),
    ),
    // GET requests: a 405 in their flavor's shape.
    ("example-apigw-v2-request-iam.json", Accepted("http", 1, 1)),
    (
        "example-apigw-v2-request-jwt-authorizer.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-v2-request-lambda-authorizer.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-v2-request-multi-value-parameters.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-v2-request-no-authorizer.json",
        Accepted("http", 1, 1),
    ),
    (
        "example-apigw-websocket-request-disconnect-route.json",
        Refused("API Gateway WebSocket event (eventType DISCONNECT)"),
    ),
    (
        "example-apigw-websocket-request-without-method.json",
        Refused("API Gateway WebSocket event (eventType CONNECT)"),
    ),
    (
        "example-apigw-websocket-request.json",
        Refused("API Gateway WebSocket event (eventType CONNECT)"),
    ),
    (
        "example-appsync-batchinvoke.json",
        Refused("AppSync resolver or authorizer event"),
    ),
    (
        "example-appsync-direct-resolver.json",
        Refused("AppSync resolver or authorizer event"),
    ),
    ("example-appsync-identity-cognito.json", UNKNOWN),
    ("example-appsync-identity-iam.json", UNKNOWN),
    (
        "example-appsync-invoke.json",
        Refused("AppSync resolver or authorizer event"),
    ),
    (
        "example-appsync-lambda-auth-request.json",
        Refused("AppSync resolver or authorizer event"),
    ),
    ("example-appsync-lambda-auth-response.json", UNKNOWN),
    (
        "example-autoscaling-event-launch-successful.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-autoscaling-event-launch-unsuccessful.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-autoscaling-event-lifecycle-action.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-autoscaling-event-terminate-action.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-autoscaling-event-terminate-successful.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-autoscaling-event-terminate-unsuccessful.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-bedrock-agent-runtime-event-without-parameters.json",
        UNKNOWN,
    ),
    (
        "example-bedrock-agent-runtime-event-without-request-body.json",
        UNKNOWN,
    ),
    ("example-bedrock-agent-runtime-event.json", UNKNOWN),
    ("example-clientvpn-connectionhandler-request.json", UNKNOWN),
    (
        "example-cloudformation-custom-resource-create-request.json",
        Refused("CloudFormation custom resource request (Create)"),
    ),
    (
        "example-cloudformation-custom-resource-delete-request.json",
        Refused("CloudFormation custom resource request (Delete)"),
    ),
    (
        "example-cloudformation-custom-resource-provider-create-request.json",
        Refused("CloudFormation custom resource request (Create)"),
    ),
    (
        "example-cloudformation-custom-resource-provider-delete-request.json",
        Refused("CloudFormation custom resource request (Delete)"),
    ),
    (
        "example-cloudformation-custom-resource-provider-response.json",
        UNKNOWN,
    ),
    (
        "example-cloudformation-custom-resource-provider-update-request.json",
        Refused("CloudFormation custom resource request (Update)"),
    ),
    (
        "example-cloudformation-custom-resource-response.json",
        UNKNOWN,
    ),
    (
        "example-cloudformation-custom-resource-update-request.json",
        Refused("CloudFormation custom resource request (Update)"),
    ),
    // A CloudWatch alarm state change with `alarmData` where EventBridge has `detail`.
    (
        "example-cloudwatch-alarm-composite-with-suppressor-alarm.json",
        Accepted("eventbridge", 1, 1),
    ),
    ("example-cloudwatch-alarm-composite.json", UNKNOWN),
    ("example-cloudwatch-alarm-metric.json", UNKNOWN),
    // Two records with one message ID in the fixture: two objects of one key.
    (
        "example-cloudwatch-alarm-sns-payload-multiple-metrics.json",
        Accepted("sns", 2, 0),
    ),
    (
        "example-cloudwatch-alarm-sns-payload-single-metric.json",
        Accepted("sns", 1, 0),
    ),
    ("example-cloudwatch-cloudtrail-assumed-role.json", UNKNOWN),
    (
        "example-cloudwatch-cloudtrail-unknown-federate.json",
        UNKNOWN,
    ),
    (
        "example-cloudwatch-cloudtrail-unknown-user-auth.json",
        UNKNOWN,
    ),
    // A CloudWatch Logs subscription delivery: one NDJSON object of its two log events.
    ("example-cloudwatch_logs-event.json", Accepted("logs", 1, 0)),
    (
        "example-code_commit-event.json",
        Refused("Records from event source \"aws:codecommit\""),
    ),
    (
        "example-codebuild-phase-change.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-codebuild-state-change.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-codedeploy-deployment-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-codedeploy-instance-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    ("example-codedeploy-lifecycle-event.json", UNKNOWN),
    (
        "example-codepipeline-action-execution-stage-change-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-codepipeline-execution-stage-change-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-codepipeline-execution-state-change-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    ("example-codepipeline_job-event.json", UNKNOWN),
    (
        "example-cognito-event-userpools-create-auth-challenge-user-not-found.json",
        Refused("Amazon Cognito user pool trigger (CreateAuthChallenge_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-create-auth-challenge.json",
        Refused("Amazon Cognito user pool trigger (CreateAuthChallenge_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-custommessage.json",
        Refused("Amazon Cognito user pool trigger (CustomMessage_VerifyUserAttribute)"),
    ),
    (
        "example-cognito-event-userpools-define-auth-challenge-optional-response-fields.json",
        Refused("Amazon Cognito user pool trigger (DefineAuthChallenge_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-define-auth-challenge-user-not-found.json",
        Refused("Amazon Cognito user pool trigger (DefineAuthChallenge_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-define-auth-challenge.json",
        Refused("Amazon Cognito user pool trigger (DefineAuthChallenge_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-migrateuser-null-fields.json",
        Refused("Amazon Cognito user pool trigger (UserMigration_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-migrateuser.json",
        Refused("Amazon Cognito user pool trigger (UserMigration_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-postauthentication.json",
        Refused("Amazon Cognito user pool trigger (PostAuthentication_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-postconfirmation.json",
        Refused("Amazon Cognito user pool trigger (PostConfirmation_ConfirmSignUp)"),
    ),
    (
        "example-cognito-event-userpools-preauthentication.json",
        Refused("Amazon Cognito user pool trigger (PreAuthentication_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-presignup.json",
        Refused("Amazon Cognito user pool trigger (PreSignUp_SignUp)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen-incoming.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen-null-group-configuration.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_HostedAuth)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen-v2-incoming.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_HostedAuth)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen-v2-null-group-configuration.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_HostedAuth)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen-v2.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_HostedAuth)"),
    ),
    (
        "example-cognito-event-userpools-pretokengen.json",
        Refused("Amazon Cognito user pool trigger (TokenGeneration_HostedAuth)"),
    ),
    (
        "example-cognito-event-userpools-verify-auth-challenge-null-answer-correct.json",
        Refused("Amazon Cognito user pool trigger (VerifyAuthChallengeResponse_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-verify-auth-challenge-optional-answer-correct.json",
        Refused("Amazon Cognito user pool trigger (VerifyAuthChallengeResponse_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-verify-auth-challenge-user-not-found.json",
        Refused("Amazon Cognito user pool trigger (VerifyAuthChallengeResponse_Authentication)"),
    ),
    (
        "example-cognito-event-userpools-verify-auth-challenge.json",
        Refused("Amazon Cognito user pool trigger (VerifyAuthChallengeResponse_Authentication)"),
    ),
    // Cognito Sync (not a user pool trigger).
    ("example-cognito-event.json", UNKNOWN),
    ("example-config-event.json", UNKNOWN),
    ("example-connect-event-without-queue.json", UNKNOWN),
    ("example-connect-event.json", UNKNOWN),
    // Control Tower's CloudTrail `detail`s, without the EventBridge envelope.
    ("example-controltower-create-managed-account.json", UNKNOWN),
    (
        "example-controltower-deregister-organizational-unit.json",
        UNKNOWN,
    ),
    ("example-controltower-disable-baseline.json", UNKNOWN),
    ("example-controltower-disable-guardrail.json", UNKNOWN),
    ("example-controltower-enable-baseline.json", UNKNOWN),
    ("example-controltower-enable-guardrail.json", UNKNOWN),
    (
        "example-controltower-precheck-organizational-unit.json",
        UNKNOWN,
    ),
    (
        "example-controltower-register-organizational-unit.json",
        UNKNOWN,
    ),
    ("example-controltower-reset-enabled-baseline.json", UNKNOWN),
    ("example-controltower-setup-landing-zone.json", UNKNOWN),
    ("example-controltower-update-enabled-baseline.json", UNKNOWN),
    ("example-controltower-update-landing-zone.json", UNKNOWN),
    ("example-controltower-update-managed-account.json", UNKNOWN),
    ("example-documentdb-delete-event.json", UNKNOWN),
    ("example-documentdb-drop-database-event.json", UNKNOWN),
    ("example-documentdb-drop-event.json", UNKNOWN),
    ("example-documentdb-insert-event.json", UNKNOWN),
    ("example-documentdb-invalidate-event.json", UNKNOWN),
    ("example-documentdb-rename-event.json", UNKNOWN),
    ("example-documentdb-replace-event.json", UNKNOWN),
    ("example-documentdb-update-event.json", UNKNOWN),
    (
        "example-dynamodb-event-null-items.json",
        Accepted("dynamodb", 2, 0),
    ),
    // One stream record on its own, without the `Records` list.
    (
        "example-dynamodb-event-record-with-optional-fields.json",
        UNKNOWN,
    ),
    ("example-dynamodb-event.json", Accepted("dynamodb", 2, 0)),
    (
        "example-ecr-image-scan-event-with-missing-severities.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-ecr-image-scan-event.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-eventbridge-event-obj.json",
        Accepted("eventbridge", 1, 0),
    ),
    (
        "example-eventbridge-schedule.json",
        Accepted("eventbridge", 1, 0),
    ),
    ("example-firehose-event.json", UNKNOWN),
    ("example-iot-custom-auth-request-x509.json", UNKNOWN),
    ("example-iot-custom-auth-request.json", UNKNOWN),
    ("example-iot-custom-auth-response.json", UNKNOWN),
    ("example-iot_1_click-event.json", UNKNOWN),
    ("example-iot_button-event.json", UNKNOWN),
    ("example-kafka-event.json", Accepted("kafka", 1, 0)),
    (
        "example-kinesis-event-encrypted.json",
        Accepted("kinesis", 2, 0),
    ),
    ("example-kinesis-event.json", Accepted("kinesis", 2, 0)),
    ("example-kinesis-firehose-event.json", UNKNOWN),
    ("example-kinesis-firehose-response.json", UNKNOWN),
    ("example-lex-event.json", UNKNOWN),
    ("example-lex-response.json", UNKNOWN),
    ("example-rabbitmq-event.json", UNKNOWN),
    // No `sequencer` in these (S3 sends one with every event): the record fails, named.
    ("example-s3-event-with-decoded.json", Accepted("s3", 1, 1)),
    ("example-s3-event.json", Accepted("s3", 1, 1)),
    (
        "example-s3-object-lambda-event-get-object-assumed-role.json",
        UNKNOWN,
    ),
    (
        "example-s3-object-lambda-event-get-object-iam.json",
        UNKNOWN,
    ),
    (
        "example-s3-object-lambda-event-head-object-iam.json",
        UNKNOWN,
    ),
    (
        "example-s3-object-lambda-event-list-objects-iam.json",
        UNKNOWN,
    ),
    (
        "example-s3-object-lambda-event-list-objects-v2-iam.json",
        UNKNOWN,
    ),
    ("example-secretsmanager-secret-rotation-event.json", UNKNOWN),
    ("example-ses-bcc-event.json", Accepted("ses", 1, 0)),
    ("example-ses-event.json", Accepted("ses", 1, 0)),
    ("example-ses-lambda-event.json", Accepted("ses", 1, 0)),
    ("example-ses-s3-event.json", Accepted("ses", 2, 0)),
    ("example-ses-sns-event.json", Accepted("ses", 1, 0)),
    ("example-sns-event-obj.json", Accepted("sns", 1, 0)),
    ("example-sns-event-pascal-case.json", Accepted("sns", 1, 0)),
    ("example-sns-event.json", Accepted("sns", 1, 0)),
    // SNS HTTP(S) endpoint messages, not Lambda events.
    ("example-sns-subscription-confirmation.json", UNKNOWN),
    ("example-sns-unsubscribe-confirmation.json", UNKNOWN),
    ("example-sqs-api-event-obj.json", UNKNOWN),
    ("example-sqs-batch-response.json", UNKNOWN),
    ("example-sqs-event-obj.json", Accepted("sqs", 1, 0)),
    ("example-sqs-event.json", Accepted("sqs", 1, 0)),
    (
        "example-vpc-lattice-response.json",
        Refused("an HTTP response;"),
    ),
    (
        "example-vpc-lattice-v1-request.json",
        Refused("VPC Lattice request (version 1)"),
    ),
    (
        "example-vpc-lattice-v2-request-base64.json",
        Refused("VPC Lattice request (version 2.0)"),
    ),
    (
        "example-vpc-lattice-v2-request-roles-anywhere.json",
        Refused("VPC Lattice request (version 2.0)"),
    ),
    (
        "example-vpc-lattice-v2-request.json",
        Refused("VPC Lattice request (version 2.0)"),
    ),
];

/// The crate's version in Cargo.lock.
fn locked_version(name: &str) -> String {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("Cargo.lock");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            let version = lines.next().unwrap_or_default();
            if let Some(v) = version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
            {
                return v.to_owned();
            }
        }
    }
    panic!("{name} is not in Cargo.lock");
}

/// `$CARGO_HOME` (else `~/.cargo`)`/registry/src/*/aws_lambda_events-<locked>/src/fixtures`.
fn fixtures_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let crate_dir = format!("aws_lambda_events-{}", locked_version("aws_lambda_events"));
    let registry = cargo_home.join("registry").join("src");
    let found = std::fs::read_dir(&registry)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|index| index.path().join(&crate_dir).join("src").join("fixtures"))
        .find(|dir| dir.is_dir());
    found.unwrap_or_else(|| {
        panic!(
            "no {crate_dir}/src/fixtures under {}: build the project once (cargo fetch) so the \
             registry holds the crate; this test does not skip",
            registry.display()
        )
    })
}

/// A fixture through the handler's own entry point.
fn decode(dir: &Path, file: &str) -> Result<Request, events::UnsupportedEvent> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let prefix = KeyPrefix::parse("incoming/").unwrap();
    let cx = DecodeContext {
        prefix: &prefix,
        max_body_bytes: 6 << 20,
        request_id: "req-1",
        ses_raw_mail: None,
        s3_notifications: Default::default(),
    };
    let raw: Box<RawValue> = serde_json::from_str(&text).expect("fixtures are JSON");
    events::decode(&raw, &cx)
}

fn seen(dir: &Path, file: &str) -> Seen {
    match decode(dir, file) {
        Ok(Request::Write { kind, records, .. }) => Seen::Accepted {
            source: kind.as_str(),
            records: records.len(),
            failed: records.iter().filter(|r| r.is_err()).count(),
        },
        Ok(Request::Ignore(_)) => Seen::Ignored,
        Ok(Request::Action(action)) => panic!("an action in a fixture: {action}"),
        Err(refused) => Seen::Refused(refused.found),
    }
}

fn matches(expect: &Expect, seen: &Seen) -> bool {
    match (expect, seen) {
        (Accepted(source, records, failed), Seen::Accepted { .. }) => {
            *seen
                == Seen::Accepted {
                    source,
                    records: *records,
                    failed: *failed,
                }
        }
        (Ignored, Seen::Ignored) => true,
        (Refused(part), Seen::Refused(found)) => found.contains(part),
        _ => false,
    }
}

#[test]
fn every_peer_fixture_is_taken_ignored_or_refused_as_the_table_says() {
    let dir = fixtures_dir();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 100,
        "only {} fixtures in {}",
        files.len(),
        dir.display()
    );
    let listed: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    let unlisted: Vec<&String> = files
        .iter()
        .filter(|f| !listed.contains(&f.as_str()))
        .collect();
    let gone: Vec<&&str> = listed
        .iter()
        .filter(|f| !files.iter().any(|g| g == **f))
        .collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "fixtures without a row (classify them): {unlisted:?}; rows without a fixture: {gone:?}"
    );
    let mut wrong = Vec::new();
    for (file, expect) in EXPECTED {
        let seen = seen(&dir, file);
        if !matches(expect, &seen) {
            wrong.push(format!("{file}: {seen:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "not as the table says:\n{}",
        wrong.join("\n")
    );
}

/// A refusal by name still lists what is accepted; an unknown shape says its fields.
#[test]
fn refusals_name_the_shape_and_list_the_accepted_ones() {
    let dir = fixtures_dir();
    for (file, expect) in EXPECTED {
        if let Refused(_) = expect {
            let message = decode(&dir, file).unwrap_err().to_string();
            assert!(
                message.contains("Accepted: an SQS batch"),
                "{file}: {message}"
            );
            assert!(message.contains("ALB target request"), "{file}: {message}");
        }
    }
}
