"""The arm64 bootstrap Terraform deploys, smoke-tested under qemu-user against the emulator:
it starts and polls the Runtime API, answers whoami with both identities, writes an SQS batch
(partial batch response naming only the malformed record) byte-exact, and every line it logs
carries what Lambda's log-level filter needs."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from conftest import LOG_LEVEL
from emulator import BUCKET_ACCOUNT, LAMBDA_ACCOUNT, QUEUE_NAME, REGION

LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


def invoke(function, payload) -> dict:
    body, _, _ = function.invoke(json.dumps(payload).encode())
    return json.loads(body)


def sqs_record(message_id: str, body: str, attributes: dict | None = None) -> dict:
    now = "1764633600000"
    return {
        "messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": now, "SenderId": LAMBDA_ACCOUNT,
                       "ApproximateFirstReceiveTimestamp": now},
        "messageAttributes": {name: {"stringValue": value, "stringListValues": [], "binaryListValues": [],
                                     "dataType": "String"} for name, value in (attributes or {}).items()},
        "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{LAMBDA_ACCOUNT}:{QUEUE_NAME}", "awsRegion": REGION,
    }


def test_starts_and_polls_the_runtime_api(function):
    function.wait(lambda: function.polls, "during init (spawn -> first GET /next)")
    assert function.popen.poll() is None, "still running, parked in /next"
    assert len(function.polls) == 1


def test_whoami_answers_both_identities(function, emulator):
    answer = invoke(function, {"action": "whoami"})
    execution, assumed = answer["execution_identity"], answer["assumed_identity"]
    assert execution["account"] == LAMBDA_ACCOUNT, answer
    assert ":assumed-role/writer-exec/" in execution["arn"], answer
    assert assumed["account"] == BUCKET_ACCOUNT, answer
    assert ":assumed-role/writer-target/" in assumed["arn"], answer
    assert answer["target_role_arn"] == emulator.state["target_role_arn"]
    assert answer["bucket"] == emulator.state["bucket"]


def test_an_sqs_batch_is_written_byte_exact_with_a_partial_batch_response(function, emulator):
    binary = bytes(range(256)) * 4  # every byte value, through base64
    good = {
        str(uuid.uuid4()): (f"plain text {uuid.uuid4()} \u00e9\u00e8 \u2713", None),
        str(uuid.uuid4()): (base64.b64encode(binary).decode(), {"content-encoding": "base64"}),
        str(uuid.uuid4()): (json.dumps({"order": 7, "lines": ["a", "b"]}), {"content-type": "application/json"}),
    }
    bad = str(uuid.uuid4())
    records = [sqs_record(i, body, attrs) for i, (body, attrs) in good.items()]
    records.insert(1, sqs_record(bad, "%%% this is not base64 %%%", {"content-encoding": "base64"}))

    answer = invoke(function, {"Records": records})

    assert answer == {"batchItemFailures": [{"itemIdentifier": bad}]}
    s3 = emulator.client("s3", "bucket_root")
    expected = {i: (binary if attrs and attrs.get("content-encoding") else body.encode())
                for i, (body, attrs) in good.items()}
    for message_id, body in expected.items():
        key = f"{emulator.state['key_prefix']}sqs/{QUEUE_NAME}/{message_id}"
        stored = s3.get_object(Bucket=emulator.state["bucket"], Key=key)["Body"].read()
        assert stored == body, key
    listed = s3.list_objects_v2(Bucket=emulator.state["bucket"], Prefix=f"{emulator.state['key_prefix']}sqs/")
    assert not [o["Key"] for o in listed.get("Contents", []) if bad in o["Key"]], "nothing for the bad record"


def rfc3339(value: str) -> dt.datetime:
    """RFC 3339 date-time (with 'T', seconds, optional fraction and a Z or +hh:mm offset), else ValueError."""
    if len(value) < 20 or value[10] != "T" or not (value.endswith("Z") or value[-6] in "+-"):
        raise ValueError(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed


def test_every_log_line_passes_lambdas_level_filter(function):
    invoke(function, {"action": "whoami"})  # at least one invocation's metrics, whatever ran before
    lines = [line for line in function.log.read_text().splitlines() if line.strip()]
    metrics = 0
    for line in lines:
        doc = json.loads(line)  # JSON log format: every line is one JSON object
        assert doc.get("level", "").upper() in LEVELS, line
        assert LEVELS.index(doc["level"].upper()) >= LEVELS.index(LOG_LEVEL), f"dropped at {LOG_LEVEL}: {line}"
        rfc3339(doc["timestamp"])
        metrics += "_aws" in doc
    assert metrics >= 1, "the EMF metric lines are written, and kept at WARN"
