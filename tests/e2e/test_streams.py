"""Stream sources end to end: Kinesis and DynamoDB Streams through the emulator's event source
mappings to the deployed function, Kafka by a direct invoke of it.

``fired`` (conftest) puts two records (one binary) into the Kinesis stream with one PutRecords,
puts and then updates one DynamoDB item, and invokes the deployed function (RequestResponse)
with the sample MSK and self-managed Kafka events, each with a topic of its own: ministack has
no MSK or Kafka, so those two are a direct invoke of the deployed function, not a trigger.

What ministack 1.5.33's stream mappings do, so what these tests can show (see
``lambda_svc._poll_kinesis`` / ``_poll_dynamodb_streams``): they read from TRIM_HORIZON and
invoke the function with the batch, but a ``batchItemFailures`` answer is taken as complete
success even with ``ReportBatchItemFailures`` set: the whole batch is checkpointed past, the
reported record is not retried and nothing goes to the on-failure destination.
``MaximumRetryAttempts`` and ``BisectBatchOnFunctionError`` are stored but not applied (a
function *error* is retried about once a second, forever for Kinesis; for DynamoDB until the
batch is older than ``MaximumRecordAgeInSeconds``). The retry from the reported sequence number
and the batch record in the failure queue are AWS's part; the module configures them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

import scenario
from emulator import (EXECUTION_ROLE, FAILURE_QUEUE_ARN, FUNCTION_NAME, STREAM_MAX_RECORD_AGE_SECONDS,
                      STREAM_MAX_RETRY_ATTEMPTS, render_policy)

STREAM_TRIGGERS = ["kinesis", "dynamodb", *scenario.KAFKA_SAMPLES]
SOURCE_OF = {"kinesis": "kinesis", "dynamodb": "dynamodb", "msk": "kafka", "self-managed kafka": "kafka"}
CONFLICT_TIMEOUT = 60
# ministack's pollers back off 1 s after a failed batch and poll at least once a second: a
# retry, had there been one, would show well within this.
RETRY_WINDOW_SECONDS = 4


def expected_for(fired: scenario.Fired, trigger: str) -> list[scenario.Expected]:
    found = [expected for expected in fired.expected if expected.trigger == trigger]
    assert found, f"the scenario fired nothing for {trigger}"
    return found


def head(deployment, key: str) -> dict:
    return deployment.client("s3", "bucket_root").head_object(Bucket=deployment.state["bucket"], Key=key)


def stored_policy(emulator, name: str) -> dict:
    document = emulator.client("iam", "lambda_root").get_role_policy(
        RoleName=EXECUTION_ROLE, PolicyName=name)["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def test_execution_role_reads_exactly_the_trigger_streams(emulator):
    """The read grants are the templates Terraform renders, for exactly these streams."""
    state = emulator.state
    assert stored_policy(emulator, "read-kinesis-trigger-stream") == render_policy(
        "execution-read-kinesis", stream_arn=state["kinesis_stream_arn"])
    assert stored_policy(emulator, "read-dynamodb-trigger-stream") == render_policy(
        "execution-read-dynamodb-stream", stream_arn=state["dynamodb_stream_arn"],
        table_arn=state["dynamodb_table_arn"])
    assert state["dynamodb_stream_arn"].startswith(state["dynamodb_table_arn"] + "/stream/")


@pytest.mark.parametrize("source", ["kinesis", "dynamodb"])
def test_stream_mappings_have_the_module_settings(deployment, source):
    mapping = deployment.client("lambda", "lambda_root").get_event_source_mapping(
        UUID=deployment.state["function"][f"{source}_event_source_mapping"])
    assert mapping["EventSourceArn"] == deployment.state[f"{source}_stream_arn"]
    assert mapping["FunctionArn"].split(":")[-1] == FUNCTION_NAME
    assert mapping["State"] == "Enabled"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == STREAM_MAX_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == STREAM_MAX_RECORD_AGE_SECONDS
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == FAILURE_QUEUE_ARN


@pytest.mark.parametrize("trigger", STREAM_TRIGGERS)
def test_stream_records_land_byte_exact_with_their_provenance(deployment, fired, trigger):
    keys = scenario.bucket_keys(deployment)
    for expected in expected_for(fired, trigger):
        assert expected.key in keys, expected.key
        body = scenario.object_body(deployment, expected.key)
        assert body == expected.body, expected.key
        metadata = head(deployment, expected.key)["Metadata"]
        assert metadata["source"] == SOURCE_OF[trigger], metadata
        assert metadata["source-id"] == expected.source_id, metadata
        assert metadata["content-sha256"] == hashlib.sha256(body).hexdigest(), metadata
        datetime.fromisoformat(metadata["event-time"])  # present and a timestamp
        assert scenario.version_count(deployment, expected.key) == 1, expected.key


def test_kinesis_data_is_stored_as_the_producer_sent_it_binary_too(deployment, fired):
    records = expected_for(fired, "kinesis")
    assert len(records) == 2
    binary = [e for e in records if not is_utf8(e.body)]
    assert binary, "the scenario sent no binary record"
    for expected in records:
        metadata = head(deployment, expected.key)["Metadata"]
        arrived = datetime.fromisoformat(metadata["event-time"])  # the approximate arrival time
        assert abs(datetime.now(timezone.utc) - arrived) < timedelta(minutes=10), metadata
    assert head(deployment, binary[0].key)["ContentType"] == "application/octet-stream"


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_dynamodb_objects_are_the_stream_records_with_the_item_images(deployment, fired):
    """INSERT then MODIFY: the objects are the stream records as they arrived, numbers still
    DynamoDB's strings, NewImage the item as DynamoDB stores it."""
    insert, modify = (json.loads(scenario.object_body(deployment, e.key)) for e in expected_for(fired, "dynamodb"))
    assert (insert["eventName"], modify["eventName"]) == ("INSERT", "MODIFY")
    assert insert["eventSourceARN"] == deployment.state["dynamodb_stream_arn"]
    keys = insert["dynamodb"]["Keys"]
    item = deployment.client("dynamodb", "lambda_root").get_item(
        TableName=deployment.state["dynamodb_table_name"], Key=keys, ConsistentRead=True)["Item"]
    assert modify["dynamodb"]["NewImage"] == as_stream_image(item)
    assert modify["dynamodb"]["OldImage"] == insert["dynamodb"]["NewImage"]
    # A number beyond a double's precision: still DynamoDB's string, digit for digit.
    assert insert["dynamodb"]["NewImage"]["total"] == {"N": "12345678901234567890.25"}
    assert modify["dynamodb"]["NewImage"]["status"] == {"S": "shipped"}
    assert "OldImage" not in insert["dynamodb"]
    for expected in expected_for(fired, "dynamodb"):
        assert head(deployment, expected.key)["ContentType"] == "application/json"


def as_stream_image(item: dict) -> dict:
    """A GetItem item (botocore decodes binary attributes) in the stream record's JSON form."""
    return {name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
            for name, value in item.items()}


def test_kafka_samples_are_written_record_by_record(deployment, fired):
    """A direct (RequestResponse) invoke of the deployed function with events/msk.json and
    events/self-managed-kafka.json, each under a fresh topic: the emulator has no Kafka, so no
    event source mapping can deliver them."""
    for trigger in scenario.KAFKA_SAMPLES:
        records = expected_for(fired, trigger)
        answer = fired.kafka_responses[trigger]
        assert answer["bucket"] == deployment.state["bucket"], answer
        assert [(w["key"], w["status"]) for w in answer["written"]] == [(e.key, "created") for e in records], answer
        for expected in records:
            assert head(deployment, expected.key)["ContentType"] == (expected.content_type
                                                                     or default_content_type(expected.body))
    csv = [e for e in expected_for(fired, "msk") if e.content_type]
    assert [e.content_type for e in csv] == ["text/csv"]


def default_content_type(body: bytes) -> str:
    """The function's content type without a header: JSON when the body is JSON."""
    try:
        json.loads(body)
        return "application/json"
    except ValueError:
        return "application/octet-stream"


def test_a_kinesis_record_refused_every_time_fails_alone(deployment, fired):
    """The middle record of one batch meets another object at its key: the function writes its
    batch mates, refuses it (the object is left as it was) and counts it failed.

    On AWS, Lambda would then retry from the reported sequence number (the record after it
    answering "already existed") until MaximumRetryAttempts, and describe the batch in the
    failure queue. ministack 1.5.33 takes the batchItemFailures answer as success: the record
    is handed over once, never retried, and nothing reaches the failure queue. The last lines
    pin that, so an emulator that starts honouring ReportBatchItemFailures fails this test and
    it can be made to check the retry and the failure record instead.
    """
    batch = scenario.put_kinesis_batch_with_a_conflict(deployment)
    try:
        scenario.wait_for_objects(deployment, [e.key for e in batch.mates], CONFLICT_TIMEOUT)
        for expected in batch.mates:
            assert scenario.object_body(deployment, expected.key) == expected.body
            assert scenario.version_count(deployment, expected.key) == 1, expected.key

        def attempts() -> list[str]:
            return [rid for rid, lines in scenario.log_lines_by_request(deployment).items()
                    if any(batch.refused.key in line and "holds another record" in line for line in lines)]

        (request_id,) = scenario.wait_for(attempts, 30, "the refusal in the function's log")
        (doc,) = scenario.emf_documents(deployment, request_id)
        assert doc["Source"] == "kinesis"
        assert (doc["RecordsReceived"], doc["ObjectsCreated"], doc["RecordsFailed"]) == (3, 2, 1)
        assert scenario.version_count(deployment, batch.refused.key) == 1
        assert scenario.object_body(deployment, batch.refused.key) == batch.refused.body

        # ministack's part: no retry of the reported record, no failure record.
        time.sleep(RETRY_WINDOW_SECONDS)
        assert len(attempts()) == 1, attempts()
        assert not [letter for letter in scenario.failure_letters(deployment)
                    if batch.sequence_number in letter["Body"]]
        for expected in batch.mates:
            assert scenario.version_count(deployment, expected.key) == 1, expected.key
    finally:  # another test checks which keys exist: remove the foreign object (every version)
        scenario.remove_every_version(deployment, "bucket_root", deployment.state["bucket"], batch.refused.key)
