"""Cost per million events at list prices: the one cost model `make bench` prints (benches/README.md).

us-east-1, arm64, 128 MB, on-demand, no free tier, no Savings Plans. Prices taken on PRICES_TAKEN
from the AWS pricing page each constant names. Tested by benches/test_cost.py (hand-computed cases).
Python 3.11 standard library only.
"""

from __future__ import annotations

import math

PRICES_TAKEN = "2026-12-06"
KIB, MIB, GIB = 1024, 1024 ** 2, 1024 ** 3
MILLION = 1_000_000

# https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s a month)
LAMBDA_REQUEST_USD = 0.20 / MILLION
LAMBDA_ARM64_GB_S_USD = 0.0000133334
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html: one vCPU at 1,769 MB,
# CPU share proportional to memory below it.
LAMBDA_MB_PER_VCPU = 1769
MEMORY_MB = 128
# https://aws.amazon.com/s3/pricing/ (S3 Standard): PutObject, CreateMultipartUpload, UploadPart and
# CompleteMultipartUpload are each a "PUT, COPY, POST, LIST" request; HEAD and GET are "GET, SELECT
# and all other requests".
S3_PUT_USD = 0.005 / 1000
S3_GET_USD = 0.0004 / 1000
# https://aws.amazon.com/kms/pricing/ (symmetric key requests)
KMS_REQUEST_USD = 0.03 / 10_000
# https://aws.amazon.com/sqs/pricing/ (first 100 billion requests a month); every 64 KB chunk of a
# request's payload is one request.
SQS_STANDARD_REQUEST_USD = 0.40 / MILLION
SQS_FIFO_REQUEST_USD = 0.50 / MILLION
SQS_CHUNK_BYTES = 64 * KIB
# https://aws.amazon.com/kinesis/data-streams/pricing/ (provisioned mode); a PUT payload unit is a
# record's 25 KB chunk; one shard takes 1,000 records/s or 1 MB/s.
KINESIS_SHARD_HOUR_USD = 0.015
KINESIS_PUT_UNIT_USD = 0.014 / MILLION
KINESIS_UNIT_BYTES = 25 * KIB
# https://aws.amazon.com/firehose/pricing/ (Direct PUT ingestion, first 500 TB a month): billed per
# GB ingested, each record rounded up to 5 KB; the page's own example counts 1 GB as 1024^2 KB.
FIREHOSE_GB_USD = 0.029
FIREHOSE_INCREMENT_BYTES = 5 * KIB
FIREHOSE_BUFFER_BYTES = 5 * MIB  # its default S3 buffer size

# Lambda's SQS poller, when the queue is idle: five long polls (20 s) at a time, all month.
SQS_IDLE_RECEIVES_PER_MONTH = 5 * 30 * 24 * 3600 // 20
# Kinesis shard-hours are per hour, not per event: per million events at this steady rate.
KINESIS_EVENTS_PER_S = 100


def billed_ms(wall_ms: float, cpu_ms: float, memory_mb: int = MEMORY_MB) -> int:
    """Billed duration of one invocation, rounded up to the ms as Lambda bills.

    `wall_ms` and `cpu_ms` are measured on an unthrottled core. At `memory_mb` Lambda gives
    memory_mb/1769 of a vCPU, so each CPU ms takes 1769/memory_mb ms. Upper bound: none of that
    stretched CPU hides behind a wait (wall + cpu x (1769/memory - 1)); the lower bound would be
    max(wall, cpu x 1769/memory)."""
    stretch = max(LAMBDA_MB_PER_VCPU / memory_mb, 1.0)
    return math.ceil(round(wall_ms + cpu_ms * (stretch - 1), 6))


def own_cost(events_per_invocation: int, billed_ms_per_invocation: float, puts_per_event: float,
             gets_per_event: float, kms_per_event: float = 0.0, memory_mb: int = MEMORY_MB) -> dict[str, float]:
    """USD per million events for the function itself: Lambda requests and duration, S3 and KMS requests.

    puts_per_event counts PutObject and multipart requests, gets_per_event HEAD and GET (as counted
    at the fake S3), kms_per_event the KMS requests S3 makes on the writer's behalf."""
    invocations = MILLION / events_per_invocation
    return {
        "lambda requests": invocations * LAMBDA_REQUEST_USD,
        "lambda duration": invocations * billed_ms_per_invocation / 1000 * memory_mb / 1024 * LAMBDA_ARM64_GB_S_USD,
        "s3 put": MILLION * puts_per_event * S3_PUT_USD,
        "s3 get/head": MILLION * gets_per_event * S3_GET_USD,
        "kms": MILLION * kms_per_event * KMS_REQUEST_USD,
    }


def sqs_cost(event_bytes: int, per_send: int, fifo: bool = False) -> float:
    """USD per million events for the SQS queue in front of the function: sends of `per_send`
    messages (SendMessage 1, SendMessageBatch up to 10), and Lambda's poller receiving and deleting
    (DeleteMessageBatch) 10 at a time, whatever the function's batch size. Each request is
    ceil(payload / 64 KiB) requests. Empty receives are not per event: SQS_IDLE_RECEIVES_PER_MONTH."""
    def requests(per_request: int) -> float:
        return MILLION / per_request * math.ceil(per_request * event_bytes / SQS_CHUNK_BYTES)
    deletes = MILLION / 10  # receipt handles only: one chunk
    price = SQS_FIFO_REQUEST_USD if fifo else SQS_STANDARD_REQUEST_USD
    return (requests(per_send) + requests(10) + deletes) * price


def kinesis_cost(event_bytes: int, events_per_s: float = KINESIS_EVENTS_PER_S) -> float:
    """USD per million events through a provisioned Kinesis stream at a steady `events_per_s`: PUT
    payload units and the shards that rate needs, for the hours a million events take. Lambda's
    reads (shared throughput) cost nothing."""
    units = MILLION * math.ceil(event_bytes / KINESIS_UNIT_BYTES)
    shards = max(math.ceil(events_per_s / 1000), math.ceil(events_per_s * event_bytes / MIB))
    hours = MILLION / events_per_s / 3600
    return units * KINESIS_PUT_UNIT_USD + shards * hours * KINESIS_SHARD_HOUR_USD


def firehose_cost(event_bytes: int, buffer_bytes: int = FIREHOSE_BUFFER_BYTES) -> dict[str, float]:
    """USD per million events through Firehose Direct PUT to S3 (its whole path: the producer
    sends to it directly): ingestion in 5 KB increments per record, one S3 PUT per full buffer."""
    billed_bytes = MILLION * math.ceil(event_bytes / FIREHOSE_INCREMENT_BYTES) * FIREHOSE_INCREMENT_BYTES
    puts = math.ceil(MILLION * event_bytes / buffer_bytes)
    return {"firehose ingestion": billed_bytes / GIB * FIREHOSE_GB_USD, "s3 put": puts * S3_PUT_USD}


GOAL_ROW = ("function", "batch + gzip", 1000)  # the documented configuration the cost goal is about


def report(runs: dict, event_bytes: int, latency_ms: float, goal: float) -> str:
    """The cost rows `make bench` prints. `runs`: (writer, mode, events per invocation) -> the
    measured "billed_ms" per invocation and S3 "puts" and "gets" per event (benches/run.py)."""
    firehose_parts = firehose_cost(event_bytes)
    firehose = sum(firehose_parts.values())
    sources = {"SQS 10/send": sqs_cost(event_bytes, 10), "SQS 1/send": sqs_cost(event_bytes, 1),
               f"Kinesis {KINESIS_EVENTS_PER_S}/s": kinesis_cost(event_bytes)}
    own = {row: own_cost(row[2], r["billed_ms"], r["puts"], r["gets"]) for row, r in runs.items()}
    lines = [f"Cost per million {event_bytes} B events, USD at list prices of {PRICES_TAKEN} (us-east-1, arm64, "
             f"{MEMORY_MB} MB; benches/cost.py), {latency_ms:g} ms per S3/STS request; billed ms per invocation",
             f"= wall + CPU x ({LAMBDA_MB_PER_VCPU}/{MEMORY_MB} - 1), rounded up. Own: Lambda, S3 and KMS requests "
             "(KMS none per event: the target bucket's Bucket Key). Whole path: own + the source.",
             f"  {'writer':<10}{'mode':<14}{'batch':>6}{'billed ms':>10}{'PUT/ev':>8}{'HEAD+GET':>9}{'own':>9}"
             f"{'x Firehose':>11}" + "".join(f"{'+' + name:>15}" for name in sources)]
    for (writer, mode, size), r in runs.items():
        c = sum(own[(writer, mode, size)].values())
        lines.append(f"  {writer:<10}{mode:<14}{size:>6}{r['billed_ms']:>10.1f}{r['puts']:>8.3f}{r['gets']:>9.3f}"
                     f"{c:>9.4f}{c / firehose:>10.2f}x" + "".join(f"{c + extra:>15.4f}" for extra in sources.values()))
    lines.append(f"  Amazon Data Firehose, Direct PUT, its whole path: {firehose:.4f} = ingestion "
                 f"{firehose_parts['firehose ingestion']:.4f} (each record billed as 5 KB) + S3 PUTs "
                 f"{firehose_parts['s3 put']:.4f} (5 MiB buffers)")
    ratio = sum(own[GOAL_ROW].values()) / firehose
    lines.append(f"  own cost of {GOAL_ROW[1]} at SQS batch size {GOAL_ROW[2]} (batching window): {ratio:.2f}x Firehose "
                 f"(goal <= {goal}x {'met' if ratio <= goal else 'not met'})")
    for row in [r for r in runs if r[:2] == ("function", "record")]:
        c = own[row]
        lines.append(f"  record mode at batch size {row[2]}: {sum(c.values()):.4f}, S3 PUTs {c['s3 put']:.4f} of it, "
                     f"{sum(c.values()) / firehose:.0f}x Firehose: OBJECT_MODE=batch with a batching window divides the PUTs")
    for name, extra in sources.items():
        wins = [f"{w} {m} {s}" for (w, m, s), c in own.items() if sum(c.values()) + extra <= firehose]
        lines.append(f"  whole path with {name} at or below Firehose's: {', '.join(wins) or 'none'}; "
                     "Firehose is cheaper than every other row")
    puts = max(r["puts"] for r in runs.values())
    lines.append(f"  without a Bucket Key, each PUT is one KMS request: +{MILLION * puts * KMS_REQUEST_USD:.4f} per "
                 f"million at {puts:.0f} PUT per event; not per event: an idle queue's empty receives, "
                 f"{SQS_IDLE_RECEIVES_PER_MONTH:,} a month = {SQS_IDLE_RECEIVES_PER_MONTH * SQS_STANDARD_REQUEST_USD:.2f} a month")
    return "\n".join(lines)
