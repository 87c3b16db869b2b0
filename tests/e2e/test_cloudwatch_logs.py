"""CloudWatch Logs subscriptions end to end, read back from the bucket as the bucket account.

Direct path, through a real trigger: a log group with a subscription filter whose destination is
the deployed function; PutLogEvents makes ministack deliver ``{"awslogs": {"data": ...}}`` to it
(``cloudwatch_logs._fanout_to_subscription_filters``, an asynchronous invoke).

Kinesis path: ministack stores subscription filters whose destination is a Kinesis stream (or a
CloudWatch Logs destination) but does not deliver to them, so the test does what CloudWatch Logs
would: it puts the gzip'd delivery JSON into the function's trigger stream with PutRecords, and
the emulator's event source mapping hands it to the function.

What only AWS shows: the ``CONTROL_MESSAGE`` CloudWatch Logs sends when a filter is created,
the Lambda permission being enforced (ministack invokes without checking it), the real log
event IDs (ministack makes them from UUIDs) and a cross-account destination's own policy.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
import uuid

import pytest

import scenario
from emulator import LAMBDA_ACCOUNT

TIMEOUT = 60
LINE_FIELDS = ["id", "timestamp", "message", "owner", "logGroup", "logStream"]


def encode_segment(name: str) -> str:
    """keys.rs's encoding of a name as one key segment."""
    if name in ("", ".", ".."):
        return {"": "%_", ".": "%2E", "..": "%2E%2E"}[name]
    out = []
    for char in name:
        if char == "%" or char == "/" or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.extend(f"%{byte:02X}" for byte in char.encode())
        else:
            out.append(char)
    return "".join(out)


def delivery_digest(owner: str, group: str, stream: str, ids: list[str]) -> str:
    """SHA-256 of the owner, log group, log stream and log event IDs, each length-prefixed."""
    digest = hashlib.sha256()
    for part in [owner, group, stream, *ids]:
        data = part.encode()
        digest.update(struct.pack(">Q", len(data)) + data)
    return digest.hexdigest()


def expected_line(event: dict, group: str, stream: str) -> bytes:
    """The line the function must write, serialized here on its own: byte for byte."""
    line = {"id": event["id"], "timestamp": event["timestamp"], "message": event["message"],
            "owner": LAMBDA_ACCOUNT, "logGroup": group, "logStream": stream}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def stream_and_logs_keys(deployment) -> set[str]:
    prefixes = tuple(f"{deployment.state['key_prefix']}{ns}/" for ns in ("logs", "kinesis"))
    return {key for key in scenario.bucket_keys(deployment) if key.startswith(prefixes)}


@pytest.fixture(scope="module")
def subscribed(deployment):
    """A log group subscribed to the deployed function, events put into it, and their object."""
    delivery = scenario.log_through_subscription(deployment)
    (key,) = scenario.wait_for_deliveries(deployment, delivery.group, 1, TIMEOUT)
    return delivery, key


def test_a_delivery_is_one_object_with_a_line_per_log_event(deployment, subscribed):
    delivery, key = subscribed
    group, stream, sent = delivery.group, delivery.stream, delivery.sent
    body = scenario.object_body(deployment, key)
    lines = body.split(b"\n")
    assert lines[-1] == b"", "every line ends in a newline"
    stored = [json.loads(line) for line in lines[:-1]]
    assert len(stored) == len(sent)
    for line, event, raw in zip(stored, sent, lines):
        assert list(line) == LINE_FIELDS, line
        assert (line["timestamp"], line["message"]) == (event["timestamp"], event["message"])
        assert raw + b"\n" == expected_line(line, group, stream)
    # The key names the delivery: owner, group, stream and the SHA-256 of its event IDs.
    digest = delivery_digest(LAMBDA_ACCOUNT, group, stream, [line["id"] for line in stored])
    assert key == f"{scenario.log_group_prefix(deployment, group)}{encode_segment(stream)}/{digest}.ndjson"
    assert scenario.log_group_prefix(deployment, group).endswith(f"/{encode_segment(group)}/")
    head = deployment.client("s3", "bucket_root").head_object(Bucket=deployment.state["bucket"], Key=key)
    assert head["ContentType"] == "application/x-ndjson"
    assert head["Metadata"]["source"] == "logs"
    assert head["Metadata"]["source-id"] == digest
    assert head["Metadata"]["content-sha256"] == hashlib.sha256(body).hexdigest()
    assert scenario.version_count(deployment, key) == 1


def test_the_same_delivery_through_kinesis_lands_once_and_a_control_message_writes_nothing(
        deployment, subscribed):
    """The direct delivery again, as a Kinesis record; a control message; a new delivery last.

    All three go in one PutRecords, so one invocation: when the new delivery's object is there,
    the other two records were handled too."""
    delivery, key = subscribed
    group, stream = delivery.group, delivery.stream
    before = scenario.object_body(deployment, key)
    keys_before = stream_and_logs_keys(deployment)
    stored = [json.loads(line) for line in before.splitlines()]
    again = {"messageType": "DATA_MESSAGE", "owner": LAMBDA_ACCOUNT, "logGroup": group, "logStream": stream,
             "subscriptionFilters": ["to-archive-stream"],
             "logEvents": [{k: line[k] for k in ("id", "timestamp", "message")} for line in stored]}
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [
                   {"id": "", "timestamp": stored[0]["timestamp"],
                    "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}
    fresh = {**again, "logEvents": [{"id": uuid.uuid4().hex, "timestamp": stored[0]["timestamp"],
                                     "message": "a later delivery"}]}
    answer = deployment.client("kinesis", "lambda_root").put_records(
        StreamName=deployment.state["kinesis_stream_name"],
        Records=[{"PartitionKey": uuid.uuid4().hex, "Data": gzip.compress(json.dumps(d).encode())}
                 for d in (again, control, fresh)])
    assert not answer.get("FailedRecordCount"), answer
    keys = scenario.wait_for_deliveries(deployment, group, 2, TIMEOUT)
    assert len(keys) == 2, keys
    (new_key,) = [k for k in keys if k != key]
    assert scenario.object_body(deployment, new_key) == expected_line(fresh["logEvents"][0], group, stream)
    # The redelivery by the other path met the 412 and the identity check: one version, unchanged.
    assert scenario.version_count(deployment, key) == 1
    assert scenario.object_body(deployment, key) == before
    # Nothing of the control message, and none of the three as an opaque kinesis/ record.
    assert stream_and_logs_keys(deployment) - keys_before == {new_key}


def test_a_broken_delivery_writes_nothing_and_fails_the_invoke(deployment):
    """The real-shaped event with a gzip bomb and a truncated stream, invoked directly (the
    subscription filter's invoke is asynchronous: its error is what makes Lambda retry)."""
    before = scenario.bucket_keys(deployment)
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    whole = gzip.compress(json.dumps({"messageType": "DATA_MESSAGE", "owner": LAMBDA_ACCOUNT,
                                      "logGroup": "g", "logStream": "s",
                                      "logEvents": [{"id": "1", "timestamp": 1, "message": "m"}]}).encode())
    for data, reason in [(bomb, "MAX_BODY_BYTES"), (whole[: len(whole) // 2], "not a whole gzip stream")]:
        answer, error = deployment.invoke({"awslogs": {"data": base64.b64encode(data).decode()}})
        assert error, answer
        assert reason in answer["errorMessage"], answer
    assert scenario.bucket_keys(deployment) == before
