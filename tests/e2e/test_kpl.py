"""KPL-aggregated Kinesis records end to end: aggregated with AWS's own aggregation library
(aws-kinesis-agg, ``scripts/kpl_sample.py``), put into the stream with PutRecord, delivered by
the emulator's Kinesis event source mapping to the deployed function, read back from the
bucket as the bucket account.

A redelivery (AWS's retry from a reported sequence number; ministack 1.5.33 never retries,
see test_streams.py) is a direct invoke of the deployed function with the same records in
the shape the mapping sends.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid

import scenario
from kpl_sample import aggregate, kinesis_event, with_wrong_trailer

TIMEOUT = 60


def put_record(deployment, partition_key: str, data: bytes) -> tuple[str, str]:
    """One PutRecord: the shard and sequence number Kinesis gave it."""
    answer = deployment.client("kinesis", "lambda_root").put_record(
        StreamName=deployment.state["kinesis_stream_name"], PartitionKey=partition_key, Data=data)
    return answer["ShardId"], answer["SequenceNumber"]


def record_key(deployment, shard_id: str, sequence_number: str) -> str:
    stream = deployment.state["kinesis_stream_name"]
    return scenario.prefixed(deployment, f"kinesis/{stream}/{shard_id}/{sequence_number}")


def metadata(deployment, key: str) -> dict:
    return deployment.client("s3", "bucket_root").head_object(Bucket=deployment.state["bucket"], Key=key)["Metadata"]


def user_records() -> list[tuple[str, bytes]]:
    """JSON, every byte value, UTF-8 text under a non-ASCII partition key: fresh each run."""
    nonce = uuid.uuid4().hex
    return [
        ("order-7", json.dumps({"order": 7, "nonce": nonce}).encode()),
        ("sensor/42", bytes(range(256)) + os.urandom(16)),
        ("k\u00fcche", f"gr\u00fc\u00df dich {nonce}\n".encode()),
    ]


def test_kpl_user_records_land_one_by_one_byte_exact_and_a_redelivery_changes_nothing(deployment):
    users = user_records()
    partition_key, data = aggregate(users)
    shard_id, sequence_number = put_record(deployment, partition_key, data)
    # The same kind of aggregate with a wrong MD5 trailer: one ordinary record, stored whole.
    _, other = aggregate([("order-8", b"eight " + os.urandom(8)), ("order-9", b"nine")])
    wrong = with_wrong_trailer(other)
    wrong_shard, wrong_sequence = put_record(deployment, "order-8", wrong)

    base = record_key(deployment, shard_id, sequence_number)
    user_keys = [f"{base}/{n}" for n in range(len(users))]
    whole_key = record_key(deployment, wrong_shard, wrong_sequence)
    scenario.wait_for_objects(deployment, [*user_keys, whole_key], TIMEOUT)

    for n, ((_, body), key) in enumerate(zip(users, user_keys)):
        assert scenario.object_body(deployment, key) == body, key
        meta = metadata(deployment, key)
        assert meta["source"] == "kinesis", meta
        assert meta["source-id"] == f"{shard_id}:{sequence_number}/{n}", meta
        assert meta["content-sha256"] == hashlib.sha256(body).hexdigest(), meta
        assert scenario.version_count(deployment, key) == 1, key
    assert scenario.object_body(deployment, whole_key) == wrong
    assert metadata(deployment, whole_key)["source-id"] == f"{wrong_shard}:{wrong_sequence}"
    keys = scenario.bucket_keys(deployment)
    assert base not in keys, "the aggregate itself is not stored"
    assert not [k for k in keys if k.startswith(whole_key + "/")], "a wrong trailer is not taken apart"

    # Redelivered (as AWS retries a reported sequence number): every user record answers
    # "already existed" through the create-only write, nothing is failed or rewritten.
    event = kinesis_event(deployment.state["kinesis_stream_arn"], shard_id,
                          [(sequence_number, partition_key, data)], 1763800100.25)
    answer, error = deployment.invoke(event)
    assert error is None, answer
    assert answer == {"batchItemFailures": []}, answer
    for key in user_keys:
        assert scenario.version_count(deployment, key) == 1, key


def test_an_md5_valid_aggregate_that_does_not_decode_writes_nothing(deployment):
    """Its protobuf cut short and its trailer recomputed: the function refuses the record as
    malformed (reported under its sequence number), and nothing of it reaches the bucket."""
    _, data = aggregate(user_records())
    message = data[4:-16][:-3]
    broken = data[:4] + message + hashlib.md5(message).digest()
    shard_id, sequence_number = put_record(deployment, "broken", broken)

    def refusals() -> list[str]:
        return [line for lines in scenario.log_lines_by_request(deployment).values() for line in lines
                if sequence_number in line and "record rejected" in line]

    (line,) = scenario.wait_for(refusals, TIMEOUT, "the refusal in the function's log")
    assert "protobuf does not decode" in line, line
    key = record_key(deployment, shard_id, sequence_number)
    assert not [k for k in scenario.bucket_keys(deployment) if k.startswith(key)]

    # What AWS would be told (and so retry, then send to the on-failure destination).
    event = kinesis_event(deployment.state["kinesis_stream_arn"], shard_id,
                          [(sequence_number, "broken", broken)], 1763800100.25)
    answer, error = deployment.invoke(event)
    assert error is None, answer
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence_number}]}, answer
