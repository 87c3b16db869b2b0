"""SQS FIFO order through a real event source mapping: after a failure, nothing later of its group.

A FIFO queue of its own feeds the deployed function (``ReportBatchItemFailures``). One
SendMessageBatch puts two message groups into one batch: ``a-1, b-1, a-2 (malformed), a-3,
b-2``. Group ``b`` and ``a-1`` must land byte for byte; ``a-2`` fails, and ``a-3`` must be
reported failed without being written, so that SQS redelivers both in order. ministack 1.5.33
does not check the execution role's ``sqs:ReceiveMessage`` on this queue (only AWS does; the
module grants it on the trigger queue it creates).
"""

from __future__ import annotations

import time
import uuid

import scenario
from emulator import FUNCTION_NAME

OBJECTS_TIMEOUT = 60
VISIBILITY_SECONDS = 1


def test_a_failed_fifo_message_holds_back_its_group_only(deployment):
    sqs = deployment.client("sqs", "lambda_root")
    lam = deployment.client("lambda", "lambda_root")
    name = f"writer-order-{uuid.uuid4().hex[:8]}.fifo"
    queue_url = sqs.create_queue(QueueName=name, Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true",
        "VisibilityTimeout": str(VISIBILITY_SECONDS)})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    run = uuid.uuid4().hex
    sent = [("a-1", "a", f"a one {run}"), ("b-1", "b", f"b one {run}"), ("a-2", "a", "%%% not base64 %%%"),
            ("a-3", "a", f"a three {run}"), ("b-2", "b", f"b two {run}")]
    entries = [{"Id": entry, "MessageBody": body, "MessageGroupId": group} for entry, group, body in sent]
    entries[2]["MessageAttributes"] = {"content-encoding": {"DataType": "String", "StringValue": "base64"}}
    answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    assert not answer.get("Failed"), answer["Failed"]
    ids = {entry["Id"]: entry["MessageId"] for entry in answer["Successful"]}
    key = {entry: scenario.prefixed(deployment, f"sqs/{name}/{ids[entry]}") for entry in ids}

    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=FUNCTION_NAME, BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"])
    try:
        deployment.wait_for_mapping_state(mapping["UUID"], "Enabled")
        landed = ["a-1", "b-1", "b-2"]
        scenario.wait_for_objects(deployment, [key[entry] for entry in landed], OBJECTS_TIMEOUT)
        bodies = {entry: body for entry, _, body in sent}
        for entry in landed:
            assert scenario.object_body(deployment, key[entry]) == bodies[entry].encode()

        def held_in_queue() -> int:
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return sum(int(value) for value in attributes.values())

        # The two failed messages stay in the queue and come back (after the visibility
        # timeout) as a batch of their own: give that redelivery time to run too.
        scenario.wait_for(lambda: held_in_queue() == 2, OBJECTS_TIMEOUT, "a-2 and a-3 left in the queue")
        time.sleep(3 * VISIBILITY_SECONDS + 2)
        assert held_in_queue() == 2
        assert key["a-3"] not in scenario.bucket_keys(deployment), "a-3 was written after a-2 failed"
        assert key["a-2"] not in scenario.bucket_keys(deployment)
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=queue_url)
