"""KPL-aggregated Kinesis records made with AWS's own aggregation library (aws-kinesis-agg).

``aggregate`` packs user records the way the Kinesis Producer Library does (magic, protobuf
AggregatedRecord, MD5 trailer); the e2e test puts its output into the emulator's stream.
Run as a script, it prints events/kinesis-kpl-aggregated.json: one aggregate of USER_RECORDS,
and the same aggregate with one bit of its MD5 trailer flipped, which every consumer (the KCL,
aws-kinesis-agg's own deaggregator, the function) takes as one ordinary record.

    .venv/bin/python scripts/kpl_sample.py > events/kinesis-kpl-aggregated.json
"""

from __future__ import annotations

import base64
import json

from aws_kinesis_agg.aggregator import RecordAggregator

# (partition key, data): JSON, every byte value, UTF-8 text under a non-ASCII partition key.
USER_RECORDS: list[tuple[str, bytes]] = [
    ("order-7", b'{"orderId":"o-7","total":12.5}'),
    ("sensor/42", bytes(range(256))),
    ("k\u00fcche", "gr\u00fc\u00df dich\n".encode()),
]

STREAM_ARN = "arn:aws:kinesis:us-east-1:111111111111:stream/writer-stream"
SHARD_ID = "shardId-000000000003"
SEQUENCE_NUMBERS = ["49590338271490256608559692540925702759324208523137515700",
                    "49590338271490256608559692540925702759324208523137515701"]


def aggregate(records: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """One aggregated Kinesis record of ``records``: (its partition key, its data)."""
    aggregator = RecordAggregator()
    for partition_key, data in records:
        # It hands back a full aggregate when the record did not fit: these must fit one.
        if aggregator.add_user_record(partition_key, data) is not None:
            raise ValueError("the user records do not fit one aggregated record")
    partition_key, _explicit_hash_key, data = aggregator.clear_and_get().get_contents()
    return partition_key, data


def with_wrong_trailer(data: bytes) -> bytes:
    """``data`` with the last bit of its MD5 trailer flipped."""
    return data[:-1] + bytes([data[-1] ^ 1])


def kinesis_event(stream_arn: str, shard_id: str, records: list[tuple[str, str, bytes]],
                  arrival: float) -> dict:
    """A Kinesis event as Lambda's event source mapping sends it: (sequence number, partition
    key, data) records of one shard."""
    return {"Records": [{
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::111111111111:role/writer-exec",
        "awsRegion": stream_arn.split(":")[3],
        "eventSourceARN": stream_arn,
    } for sequence_number, partition_key, data in records]}


def sample_event() -> dict:
    partition_key, data = aggregate(USER_RECORDS)
    payloads = [data, with_wrong_trailer(data)]
    return kinesis_event(STREAM_ARN, SHARD_ID, [(sequence_number, partition_key, payload)
                                                for sequence_number, payload in zip(SEQUENCE_NUMBERS, payloads)],
                         1763800100.25)


if __name__ == "__main__":
    print(json.dumps(sample_event(), indent=2))
