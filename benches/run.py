#!/usr/bin/env python3
"""The function against a straightforward baseline writer, side by side (`make bench`).

Both `bootstrap` binaries run as Lambda's custom runtime runs them, each against
its own fake Runtime API, and both call one fake STS/S3 endpoint; all of it is
served by this script on 127.0.0.1. They are measured alternately in one run, so
background load hits both alike; the cost per million events (cost.py) comes from what the
runs measured. benches/README.md defines every figure.
Exit status: 1 only when a function misbehaved (a failed response, a PUT the
fake S3 refused or never got, more than one AssumeRole per process), never on
timing. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import collections
import contextlib
import datetime as dt
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
import zlib
from pathlib import Path

# The local Lambda Runtime API (and HTTP plumbing), shared with tests/arm64.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from lambda_runtime_api import PROCESSES, Handler, Misbehaved, Process, hwm_bytes, serve  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cost  # noqa: E402

REGION = "us-east-1"
ACCOUNT, TARGET_ACCOUNT = "111111111111", "222222222222"
ROLE_ARN = f"arn:aws:iam::{TARGET_ACCOUNT}:role/writer-target"
BUCKET, EXTERNAL_ID, PREFIX = f"writer-target-{TARGET_ACCOUNT}", "bench-external-id", "incoming/"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-queue"
EXEC_KEY = "AKIABENCHEXECUTION01"
MIB = 1024 * 1024
RECORDS, RECORD_BYTES = 10, 1024
COPY_ETAG = "5f363e0e58a95f06cbe9bbc662c5dfb6"
# Issue 21's goals (printed, never enforced): function/baseline ratios against the baseline built
# as an experienced user builds it (benches/baseline), and the own cost of batch + gzip at SQS
# batch size 1,000 against Firehose's (cost.GOAL_ROW).
GOALS = {"zip": 0.6, "init_wall": 0.5, "init_cpu": 0.5, "rss": 0.9, "cpu_record": 0.6, "wall_latency": 0.25,
         "cost": 0.5}


# ------------------------------------------------------------------ fake STS + S3, shared by both


class Aws:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency_s = 0.0
        self.assume_role: dict[str, int] = {}  # session name -> AssumeRole calls
        self.sessions: dict[str, tuple[str, str]] = {}  # access key issued -> (session, token)
        self.puts: dict[str, set[str]] = {}  # session -> message ids PUT
        self.problems: list[str] = []
        self.source = b""  # the copy figure's source object, served in full by GET
        self.parts: dict[str, dict[int, int]] = {}  # upload id -> part number -> CRC32 of the part
        self.completed: dict[str, int] = {}  # key -> bytes of its completed multipart upload
        self.stored: dict[str, list[tuple[str, str, bytes]]] = {}  # session -> (key, Content-Encoding, body) PUT
        self.requests: dict[str, collections.Counter] = {}  # session -> S3 requests by kind (the cost rows)

    @contextlib.contextmanager
    def latency(self, ms: float):
        """`ms` added to every STS/S3 request while inside."""
        self.latency_s = ms / 1000
        try:
            yield
        finally:
            self.latency_s = 0.0


class AwsHandler(Handler):
    aws: Aws

    def counted(self, kind: str) -> tuple[str, str | None]:
        """Every S3 request: the latency, and a count by kind (PUT, HEAD, GET, multipart) under the
        session whose credentials signed it. Returns (session, its token); ("?", None) if unsigned."""
        time.sleep(self.aws.latency_s)
        access_key = self.headers.get("Authorization", "").partition("Credential=")[2].partition("/")[0]
        with self.aws.lock:
            session, token = self.aws.sessions.get(access_key, ("?", None))
            self.aws.requests.setdefault(session, collections.Counter())[kind] += 1
        return session, token

    def do_POST(self):
        if "uploads" in self.path or "uploadId=" in self.path:
            return self.multipart_post()
        aws, form = self.aws, urllib.parse.parse_qs(self.body().decode())
        time.sleep(aws.latency_s)
        session = form.get("RoleSessionName", ["?"])[0]
        if form.get("Action") != ["AssumeRole"] or form.get("RoleArn") != [ROLE_ARN] \
                or form.get("ExternalId") != [EXTERNAL_ID] or f"Credential={EXEC_KEY}/" not in self.headers["Authorization"]:
            with aws.lock:
                aws.problems.append(f"STS request refused: {sorted(form)} from {session}")
            return self.reply(400, b"<ErrorResponse><Error><Code>InvalidRequest</Code></Error></ErrorResponse>")
        key, token = f"ASIA{uuid.uuid4().hex[:16].upper()}", uuid.uuid4().hex * 4
        with aws.lock:
            aws.assume_role[session] = aws.assume_role.get(session, 0) + 1
            aws.sessions[key] = (session, token)
        expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        xml = (f'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
               f"<AssumedRoleUser><AssumedRoleId>AROABENCH:{session}</AssumedRoleId>"
               f"<Arn>arn:aws:sts::{TARGET_ACCOUNT}:assumed-role/writer-target/{session}</Arn></AssumedRoleUser>"
               f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{'s' * 40}</SecretAccessKey>"
               f"<SessionToken>{token}</SessionToken><Expiration>{expires}</Expiration></Credentials>"
               f"</AssumeRoleResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
               "</AssumeRoleResponse>").encode()
        self.reply(200, xml, {"Content-Type": "text/xml"})

    # --- the copy figure: HEAD (nothing there yet), GET of the source, multipart upload
    def do_HEAD(self):
        self.counted("HEAD")
        self.reply(404)

    def do_GET(self):
        self.counted("GET")
        source, step = self.aws.source, 1 << 20
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(source)}\r\nETag: \"{COPY_ETAG}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        self.wfile.write(head.encode())
        with memoryview(source) as view:
            for at in range(0, len(source), step):
                self.wfile.write(view[at:at + step])

    def multipart_post(self):
        aws, body = self.aws, self.body()
        self.counted("multipart")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).partition("/")[2].partition("/")[2]
        if "uploads" in query:
            upload_id = uuid.uuid4().hex
            with aws.lock:
                aws.parts[upload_id] = {}
            xml = f"<InitiateMultipartUploadResult><Bucket>{BUCKET}</Bucket><Key>{key}</Key><UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
            return self.reply(200, xml.encode(), {"Content-Type": "application/xml"})
        with aws.lock:
            parts = aws.parts.pop(query["uploadId"][0], {})
            named = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
            if named != sorted(parts) or named != list(range(1, len(named) + 1)):
                aws.problems.append(f"CompleteMultipartUpload of {key}: parts {named[:5]}..., uploaded {sorted(parts)[:5]}...")
            aws.completed[key] = sum(parts.values())
        xml = f"<CompleteMultipartUploadResult><Bucket>{BUCKET}</Bucket><Key>{key}</Key><ETag>\"{uuid.uuid4().hex}-{len(named)}\"</ETag></CompleteMultipartUploadResult>"
        self.reply(200, xml.encode(), {"Content-Type": "application/xml"})

    def do_PUT(self):
        if "uploadId=" in self.path:
            return self.upload_part()
        aws, body, h = self.aws, self.body(), {k.lower(): v for k, v in self.headers.items()}
        session, token = self.counted("PUT")
        bucket, _, key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/").partition("/")
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        problems = [what for what, bad in [
            (f"bucket {bucket!r}", bucket != BUCKET),
            (f"key {key!r} outside {PREFIX}", not key.startswith(PREFIX)),
            ("not signed with an assumed role's credentials", token is None),
            ("no session token", token is not None and h.get("x-amz-security-token") != token),
            ("CRC32 missing or wrong", h.get("x-amz-checksum-crc32") != crc),
        ] if bad]
        with aws.lock:
            if problems:
                aws.problems.append(f"PUT {key} by {session}: {', '.join(problems)}")
            aws.puts.setdefault(session, set()).add(key.rpartition("/")[2])
            aws.stored.setdefault(session, []).append((key, h.get("content-encoding", ""), body))
        if problems:
            return self.reply(400, b"<Error><Code>InvalidRequest</Code><Message>bench check</Message></Error>")
        self.reply(200, b"", {"ETag": f'"{zlib.crc32(body):08x}"', "x-amz-checksum-crc32": crc})

    def upload_part(self):
        aws, body = self.aws, self.body()
        self.counted("multipart")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        number = int(query["partNumber"][0])
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        with aws.lock:
            parts = aws.parts.setdefault(query["uploadId"][0], {})
            parts[number] = len(body)
            if self.headers.get("x-amz-checksum-crc32") != crc:
                aws.problems.append(f"UploadPart {number}: CRC32 missing or wrong")
        self.reply(200, b"", {"ETag": f'"{zlib.crc32(body):08x}"', "x-amz-checksum-crc32": crc})


# ------------------------------------------------------------------ one process and its Runtime API


def spawn(binary: Path, aws_port: int, workdir: Path, session: str, timeout: float,
          extra_env: dict | None = None) -> Process:
    """One `bootstrap` process with Lambda's environment, behind its own Runtime API."""
    env = {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(workdir),
        "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": EXEC_KEY, "AWS_SECRET_ACCESS_KEY": "e" * 40, "AWS_SESSION_TOKEN": "exec-token",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}", "AWS_EC2_METADATA_DISABLED": "true",
        "TARGET_ROLE_ARN": ROLE_ARN, "TARGET_BUCKET": BUCKET, "TARGET_EXTERNAL_ID": EXTERNAL_ID,
        "KEY_PREFIX": PREFIX, "ROLE_SESSION_NAME": session, "RUST_LOG": "warn",
        "LAMBDA_TASK_ROOT": str(binary.parent), "_HANDLER": "bootstrap",
    } | (extra_env or {})
    return Process([str(binary)], env, workdir, session, timeout,
                   function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench")


# ------------------------------------------------------------------ measurements


def sqs_event(bodies: dict[str, bytes] | None = None) -> tuple[bytes, set[str]]:
    """An SQS event of `bodies` (message ID -> body); by default RECORDS messages of RECORD_BYTES."""
    pad = b'{"pad":"' + b"x" * (RECORD_BYTES - 10) + b'"}'
    bodies = bodies or {str(uuid.uuid4()): pad for _ in range(RECORDS)}
    sent = "1764633600000"  # fixed, so what batch mode stores (event_time) is the same every run
    records = [{
        "messageId": i, "receiptHandle": "rh-" + i, "body": body.decode(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent, "SenderId": ACCOUNT,
                       "ApproximateFirstReceiveTimestamp": sent},
        "messageAttributes": {}, "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN, "awsRegion": REGION,
    } for i, body in bodies.items()]
    return json.dumps({"Records": records}).encode(), set(bodies)


def invoke_sqs(p: Process, bodies: dict[str, bytes] | None = None) -> tuple[set[str], float, float]:
    """One SQS event (sqs_event's) that must succeed whole: (message IDs, wall ms, CPU ms)."""
    payload, ids = sqs_event(bodies)
    body, wall, cpu = p.invoke(payload)
    if json.loads(body).get("batchItemFailures") != []:
        raise Misbehaved(f"{p.session}: records failed: {body[:400]!r}")
    return ids, wall, cpu


def invoke_checked(p: Process, aws: Aws) -> tuple[float, float]:
    """invoke_sqs, and every record-mode message PUT under its own ID."""
    ids, wall, cpu = invoke_sqs(p)
    with aws.lock:
        missing = ids - aws.puts.get(p.session, set())
    if missing:
        raise Misbehaved(f"{p.session}: answered success but {len(missing)} of {RECORDS} records were never PUT")
    return wall, cpu


def cold_starts(binaries: dict, aws_port: int, workdir: Path, n: int, timeout: float) -> dict:
    out = {name: {"init_wall": [], "init_cpu": [], "init_rss": []} for name in binaries}
    for i in range(n):
        for name in (list(binaries) if i % 2 == 0 else list(binaries)[::-1]):
            p = spawn(binaries[name], aws_port, workdir, f"{name}-cold-{i}", timeout)
            try:
                p.wait(lambda: p.polls, "during init")
                t, cpu, rss = p.polls[0]
                out[name]["init_wall"].append((t - p.spawn_ns) / 1e6)
                out[name]["init_cpu"].append(cpu / 1e6)
                out[name]["init_rss"].append(rss / MIB)
            finally:
                p.stop()
    return out


def warm(binaries: dict, aws: Aws, aws_port: int, workdir: Path, n: int, latency_ms: float, timeout: float) -> dict:
    """One process of each, invoked in alternation: 5 warm-up events (the first does AssumeRole), then n."""
    procs = {name: spawn(b, aws_port, workdir, f"{name}-warm-{latency_ms:g}ms", timeout) for name, b in binaries.items()}
    out = {name: {"wall": [], "cpu_record": [], "rss": None} for name in binaries}
    try:
        with aws.latency(latency_ms):
            for i in range(5 + n):
                for name in (list(procs) if i % 2 == 0 else list(procs)[::-1]):
                    wall, cpu = invoke_checked(procs[name], aws)
                    if i >= 5:
                        out[name]["wall"].append(wall)
                        out[name]["cpu_record"].append(cpu / RECORDS)
                    if i + 1 == 50:
                        out[name]["rss"] = hwm_bytes(procs[name].popen.pid) / MIB
    finally:
        for p in procs.values():
            p.stop()
    return out


def managed_instances(binary: Path, aws: Aws, aws_port: int, workdir: Path, n: int, latency_ms: float,
                      timeout: float) -> dict:
    """The function alone, as Lambda Managed Instances run it: n events queued at once for one
    process with AWS_LAMBDA_MAX_CONCURRENCY=8, then for one with it unset (one at a time).
    Records/s from the first event queued to the last answer; VmHWM at the end."""
    out = {}
    with aws.latency(latency_ms):
        for label, env in [("concurrent", {"AWS_LAMBDA_MAX_CONCURRENCY": "8"}), ("sequential", {})]:
            p = spawn(binary, aws_port, workdir, f"lmi-{label}", timeout, env)
            try:
                invoke_checked(p, aws)  # the first does AssumeRole
                events = [sqs_event() for _ in range(n)]
                started = time.monotonic_ns()
                with p.cond:
                    p.events.extend((str(uuid.uuid4()), payload) for payload, _ in events)
                    ids = [request_id for request_id, _ in p.events]
                    p.cond.notify_all()
                p.wait(lambda: all(i in p.answers for i in ids), f"answering {n} queued events")
                elapsed = (max(p.answers[i][2] for i in ids) - started) / 1e9
                for (payload, records), i in zip(events, ids):
                    kind, body, _ = p.answers[i]
                    if kind != "response" or json.loads(body).get("batchItemFailures") != []:
                        raise Misbehaved(f"{p.session}: invocation failed: {body[:400]!r}")
                    with aws.lock:
                        if records - aws.puts.get(p.session, set()):
                            raise Misbehaved(f"{p.session}: answered success but records were never PUT")
                out[label] = {"records_s": n * RECORDS / elapsed, "rss": hwm_bytes(p.popen.pid) / MIB}
            finally:
                p.stop()
    return out


def copy(binary: Path, aws: Aws, aws_port: int, workdir: Path, mib: int, latency_ms: float, timeout: float) -> dict:
    """The function alone: an S3 notification of a `mib` MiB source object, copied in 8 MiB
    parts, with the default MAX_CONCURRENT_PARTS (4) and with 1 (one part at a time).
    Wall from the event to the answer; VmHWM at the end."""
    aws.source, out = bytes(range(256)) * (mib * MIB // 256), {}
    with aws.latency(latency_ms):
        for label, parts in [("parallel", "4"), ("one_at_a_time", "1")]:
            p = spawn(binary, aws_port, workdir, f"copy-{label}", timeout, {"MAX_CONCURRENT_PARTS": parts})
            try:
                key = f"big/{label}-{uuid.uuid4()}.bin"
                event = {"Records": [{
                    "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
                    "eventTime": "2026-12-02T00:00:00.000Z", "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": "AWS:BENCH"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {"x-amz-request-id": "BENCH", "x-amz-id-2": "BENCH"},
                    "s3": {"s3SchemaVersion": "1.0", "configurationId": "bench",
                           "bucket": {"name": "source-bucket", "ownerIdentity": {"principalId": "BENCH"},
                                      "arn": "arn:aws:s3:::source-bucket"},
                           "object": {"key": key, "size": len(aws.source), "eTag": COPY_ETAG, "sequencer": "0055AED6DCD90281E5"}}}]}
                body, wall, _ = p.invoke(json.dumps(event).encode())
                answer = json.loads(body)
                stored = next((n for k, n in aws.completed.items() if k.endswith(key)), None)
                if answer.get("failed") not in (0, None) or stored != len(aws.source):
                    raise Misbehaved(f"{p.session}: copy answered {body[:300]!r}, stored {stored} bytes")
                out[label] = {"wall_s": wall / 1000, "rss": hwm_bytes(p.popen.pid) / MIB}
            finally:
                p.stop()
    aws.source = b""
    return out


def order(rng: random.Random, n: int) -> bytes:
    """A realistic JSON record of about 1 KiB: an order event with nested objects, IDs, prices, times."""
    items = [{"sku": f"SKU-{rng.randrange(10**6):06d}", "name": rng.choice(["USB-C cable 2 m", "Desk lamp",
              "Notebook A5, dotted", "Coffee beans 1 kg", "Running socks", "Phone case"]),
              "qty": rng.randint(1, 5), "unit_price": round(rng.uniform(2, 120), 2)} for _ in range(rng.randint(2, 5))]
    return json.dumps({
        "event_type": "order.paid", "event_id": str(uuid.UUID(int=rng.getrandbits(128))), "order_id": f"o-{n:08d}",
        "created_at": (dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=n * 7)).isoformat(),
        "customer": {"id": f"c-{rng.randrange(10**5):05d}", "email": f"user{rng.randrange(10**5)}@example.com",
                     "country": rng.choice(["DE", "FR", "US", "GB", "NL"]), "loyalty_tier": rng.choice(["none", "silver", "gold"])},
        "items": items, "currency": "EUR", "total": round(sum(i["qty"] * i["unit_price"] for i in items), 2),
        "payment": {"method": rng.choice(["card", "paypal", "sepa"]), "psp_reference": uuid.UUID(int=rng.getrandbits(128)).hex},
        "shipping": {"carrier": rng.choice(["DHL", "UPS", "DPD"]), "service": "standard",
                     "address": {"city": rng.choice(["Berlin", "Lyon", "Austin", "Leeds"]), "postcode": f"{rng.randrange(10**5):05d}"}},
    }, separators=(",", ":")).encode()


DELIVERY_MODES = [("record", {}), ("batch", {"OBJECT_MODE": "batch"}),
                  ("batch + gzip", {"OBJECT_MODE": "batch", "CONTENT_ENCODING": "gzip"})]


def delivery(binary: Path, aws: Aws, aws_port: int, workdir: Path, messages: int, timeout: float) -> dict:
    """The function alone, 0 ms per request: `messages` SQS messages of order JSON, in events of
    10 and of 100, in each OBJECT_MODE. Counts the PUTs and stored bytes, checks that every
    message is in what was stored (its body exactly), and times the CPU per MiB of bodies."""
    out = {}
    for size in (10, 100):
        for label, env in DELIVERY_MODES:
            rng = random.Random(size)  # every mode gets the same messages
            p = spawn(binary, aws_port, workdir, f"delivery-{size}-{label.replace(' + ', '-')}", timeout, env)
            try:
                cpu_ms, body_bytes, sent = 0.0, 0, {}
                for first in range(-size, messages, size):  # the first event (AssumeRole) is not counted
                    if first == 0:
                        skip, cpu_ms, body_bytes, sent = len(aws.stored.get(p.session, [])), 0.0, 0, {}
                    bodies = {str(uuid.uuid4()): order(rng, first + i) for i in range(size)}
                    _, _, cpu = invoke_sqs(p, bodies)
                    cpu_ms, body_bytes = cpu_ms + cpu, body_bytes + sum(map(len, bodies.values()))
                    sent |= bodies
                objects = aws.stored[p.session][skip:]
                if stored_messages(objects) != sent:
                    raise Misbehaved(f"{p.session}: what was stored is not exactly the {messages} messages sent")
                out[(size, label)] = {"puts_per_1000": len(objects) * 1000 / messages,
                                      "stored_mib": sum(len(b) for _, _, b in objects) / MIB,
                                      "body_mib": body_bytes / MIB, "cpu_ms_per_mib": cpu_ms / (body_bytes / MIB)}
            finally:
                p.stop()
    return out


def order_kib(rng: random.Random, n: int) -> bytes:
    """order()'s JSON padded to exactly RECORD_BYTES with a note of words (compressible like text)."""
    head = order(rng, n)[:-1] + b',"note":"'
    words = "the order was packed and shipped from the nearest warehouse on time".split()
    note = " ".join(rng.choice(words) for _ in range(RECORD_BYTES // 3)).encode()
    return head + note[:RECORD_BYTES - len(head) - 2] + b'"}'


COST_SIZES = {10: 20, 1000: 2}  # SQS batch size -> measured invocations (the baseline's 1,000: 1)


def cost_runs(binaries: dict, aws: Aws, aws_port: int, workdir: Path, latency_ms: float, timeout: float) -> dict:
    """Each writer and mode, a fresh process, at `latency_ms` per request: SQS events of 10 and of
    1,000 order_kib messages (as a batching window delivers them). Per invocation the billed ms
    (cost.billed_ms of its wall and CPU); per message the S3 requests counted at the fake, by kind.
    What was stored must be exactly the messages sent. The first event (AssumeRole) is not counted."""
    out = {}
    with aws.latency(latency_ms):
        for size, n in COST_SIZES.items():
            for writer, label, env in [("function", *m) for m in DELIVERY_MODES] + [("baseline", "record", {})]:
                n, rng = (1 if writer == "baseline" and size > 10 else n), random.Random(size)
                p = spawn(binaries[writer], aws_port, workdir, f"cost-{writer}-{size}-{label.replace(' + ', '-')}",
                          max(timeout, 120), env)
                try:
                    invoke_sqs(p)
                    skip, before = len(aws.stored[p.session]), collections.Counter(aws.requests[p.session])
                    billed, walls, cpus, sent = [], [], [], {}
                    for i in range(n):
                        bodies = {str(uuid.uuid4()): order_kib(rng, i * size + j) for j in range(size)}
                        _, wall, cpu = invoke_sqs(p, bodies)
                        billed.append(cost.billed_ms(wall, cpu))
                        walls.append(wall)
                        cpus.append(cpu)
                        sent |= bodies
                    if stored_messages(aws.stored[p.session][skip:]) != sent:
                        raise Misbehaved(f"{p.session}: what was stored is not exactly the messages sent")
                    counted = aws.requests[p.session] - before
                    out[(writer, label, size)] = {
                        "billed_ms": statistics.mean(billed), "wall_ms": statistics.median(walls),
                        "cpu_ms": statistics.median(cpus), "requests": dict(counted),
                        "puts": (counted["PUT"] + counted["multipart"]) / len(sent),
                        "gets": (counted["GET"] + counted["HEAD"]) / len(sent)}
                finally:
                    p.stop()
    return out


def stored_messages(objects: list[tuple[str, str, bytes]]) -> dict[str, bytes]:
    """Message ID -> body, read back from the stored objects (one per record, or NDJSON lines)."""
    found = {}
    for key, encoding, body in objects:
        body = zlib.decompress(body, 31) if encoding == "gzip" else body
        if not key.endswith((".ndjson", ".ndjson.gz")):
            found[key.rpartition("/")[2]] = body
            continue
        for line in body.splitlines():
            r = json.loads(line)  # body_json is the message as sent: compared re-encoded alike
            found[r["id"]] = (json.dumps(r["body_json"], separators=(",", ":")).encode() if "body_json" in r
                              else r["body"].encode() if "body" in r else base64.b64decode(r["body_base64"]))
    return found


def render_delivery(res: dict, messages: int) -> str:
    lines = [f"Delivery, the function alone: {messages} SQS messages of order JSON "
             f"(~{res[(10, 'record')]['body_mib'] * MIB / messages:.0f} B each), 0 ms per request:",
             f"  {'messages per event':<20}{'mode':<14}{'PUTs per 1000':>14}{'stored, MiB':>13}{'ratio':>7}{'CPU ms per MiB':>16}"]
    for (size, label), r in res.items():
        ratio = res[(size, "batch")]["stored_mib"] / r["stored_mib"]
        lines.append(f"  {size:<20}{label:<14}{r['puts_per_1000']:>14.0f}{r['stored_mib']:>13.3f}{ratio:>7.2f}{r['cpu_ms_per_mib']:>16.1f}")
    return "\n".join(lines)


def zip_size(binary: Path) -> float:
    """MiB of a zip holding `bootstrap` alone, deflated (zlib level 6), as Lambda's package."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(binary, "bootstrap")
    return len(buf.getvalue()) / MIB


def unpack(path: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z, z.open("bootstrap") as src, open(dest / "bootstrap", "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        shutil.copyfile(path, dest / "bootstrap")
    (dest / "bootstrap").chmod(0o755)
    return dest / "bootstrap"


def render(res: dict, latency_ms: float) -> str:
    def stats(v):
        if isinstance(v, float):
            return f"{v:.2f}", v
        return f"{min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}", statistics.median(v)

    rows = [("zip size (deflate), MiB", "zip", "zip"),
            ("init wall, spawn -> first /next, ms", "init_wall", "init_wall"),
            ("init CPU, ms", "init_cpu", "init_cpu"),
            ("RSS at first /next (VmHWM), MiB", "init_rss", None),
            ("peak RSS after 50 invocations (VmHWM), MiB", "rss", "rss"),
            ("CPU per record, ms", "cpu_record", "cpu_record"),
            ("warm invocation wall, 0 ms per request, ms", "wall_0", None),
            (f"warm invocation wall, {latency_ms:g} ms per request, ms", "wall_latency", "wall_latency")]
    table = [("figure", "function min / median / max", "baseline min / median / max", "ratio", "goal")]
    for label, key, goal in rows:
        (f_text, f_med), (b_text, b_med) = stats(res["function"][key]), stats(res["baseline"][key])
        ratio = f_med / b_med
        verdict = "" if goal is None else f"<= {GOALS[goal]}x " + ("met" if ratio <= GOALS[goal] else "not met")
        table.append((label, f_text, b_text, f"{ratio:.2f}", verdict))
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--function", required=True, type=Path, help="the function's bootstrap.zip (or bare binary)")
    ap.add_argument("--baseline", required=True, type=Path, help="the baseline's bootstrap.zip (or bare binary)")
    ap.add_argument("--cold-starts", type=int, default=20, help="fresh processes of each (20)")
    ap.add_argument("--invocations", type=int, default=50, help="measured warm invocations of each, per latency (50)")
    ap.add_argument("--latency-ms", type=float, default=25.0, help="per-request latency of the fake STS/S3 for the latency row (25)")
    ap.add_argument("--copy-mib", type=int, default=1024, help="size of the copied S3 object, MiB (1024)")
    ap.add_argument("--delivery-messages", type=int, default=1000, help="SQS messages per delivery mode, a multiple of 100 (1000)")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds one step may take (30)")
    ap.add_argument("--max-seconds", type=int, default=600, help="abort the whole run after this long (600)")
    args = ap.parse_args()
    if args.delivery_messages < 100 or args.delivery_messages % 100:
        ap.error("--delivery-messages must be a multiple of 100")
    if args.invocations < 45:
        ap.error("--invocations must be at least 45 (peak RSS is read after the 50th invocation)")
    sys.setswitchinterval(0.0005)  # the fakes are threads: hand the GIL over quickly
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
    signal.alarm(args.max_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="s3-writer-bench-"))
    atexit.register(shutil.rmtree, workdir, True)
    atexit.register(lambda: [p.stop() for p in list(PROCESSES)])

    binaries = {name: unpack(path, workdir / name) for name, path in [("function", args.function), ("baseline", args.baseline)]}
    aws = Aws()
    aws_server = serve(AwsHandler, aws=aws)
    port = aws_server.server_address[1]
    started, load0 = dt.datetime.now(dt.timezone.utc), os.getloadavg()[0]
    res = {name: {"zip": zip_size(b)} for name, b in binaries.items()}
    problem = None
    try:
        print(f"cold starts: {args.cold_starts} of each ...", file=sys.stderr, flush=True)
        for name, figures in cold_starts(binaries, port, workdir, args.cold_starts, args.timeout).items():
            res[name].update(figures)
        for latency, key in [(0.0, "0"), (args.latency_ms, "latency")]:
            print(f"warm: {args.invocations} invocations of each at {latency:g} ms per request ...", file=sys.stderr, flush=True)
            for name, figures in warm(binaries, aws, port, workdir, args.invocations, latency, args.timeout).items():
                res[name][f"wall_{key}"] = figures["wall"]
                if key == "0":
                    res[name].update(cpu_record=figures["cpu_record"], rss=figures["rss"])
        print(f"managed instances: {args.invocations} queued events, concurrency 8 and 1 ...", file=sys.stderr, flush=True)
        lmi = managed_instances(binaries["function"], aws, port, workdir, args.invocations, args.latency_ms, args.timeout)
        print(f"copy: {args.copy_mib} MiB, 4 parts and 1 part at a time ...", file=sys.stderr, flush=True)
        copied = copy(binaries["function"], aws, port, workdir, args.copy_mib, args.latency_ms, max(args.timeout, 300))
        print(f"delivery: {args.delivery_messages} messages per mode, in events of 10 and 100 ...", file=sys.stderr, flush=True)
        delivered = delivery(binaries["function"], aws, port, workdir, args.delivery_messages, args.timeout)
        print(f"cost: events of {' and '.join(map(str, COST_SIZES))} messages per writer and mode, "
              f"{args.latency_ms:g} ms per request ...", file=sys.stderr, flush=True)
        costs = cost_runs(binaries, aws, port, workdir, args.latency_ms, args.timeout)
    except Misbehaved as e:
        problem = str(e)
    finally:
        signal.alarm(0)
    calls = {s: n for s, n in aws.assume_role.items() if n > 1}
    problems = ([problem] if problem else []) + aws.problems[:5] + [f"{s}: {n} AssumeRole calls" for s, n in calls.items()]
    if problems:
        print("MISBEHAVED (figures withheld):\n  " + "\n  ".join(problems))
        return 1
    print(f"make bench: function vs baseline, {RECORDS} SQS records x {RECORD_BYTES} B per invocation, "
          f"{started:%Y-%m-%d %H:%M} UTC")
    print(f"  {platform.machine()}, {os.cpu_count()} CPUs, load average {load0:.2f} -> {os.getloadavg()[0]:.2f}; "
          f"{args.cold_starts} cold starts and {args.invocations} warm invocations of each, alternated\n")
    print(render(res, args.latency_ms))
    c, q = lmi["concurrent"], lmi["sequential"]
    speedup, rss = c["records_s"] / q["records_s"], c["rss"] / q["rss"]
    print(f"\nLambda Managed Instances, the function alone, {args.invocations} events queued, {args.latency_ms:g} ms per request:\n"
          f"  AWS_LAMBDA_MAX_CONCURRENCY=8: {c['records_s']:.0f} records/s, {c['rss']:.2f} MiB VmHWM; "
          f"one at a time: {q['records_s']:.0f} records/s, {q['rss']:.2f} MiB\n"
          f"  records/s {speedup:.1f}x (goal >= 5x {'met' if speedup >= 5 else 'not met'}), "
          f"RSS {rss:.2f}x (goal <= 2x {'met' if rss <= 2 else 'not met'})")
    par, one = copied["parallel"], copied["one_at_a_time"]
    faster = one["wall_s"] / par["wall_s"]
    print(f"\nS3 -> S3 copy of {args.copy_mib} MiB in 8 MiB parts, the function alone, {args.latency_ms:g} ms per request:\n"
          f"  MAX_CONCURRENT_PARTS=4: {par['wall_s']:.2f} s, {par['rss']:.2f} MiB VmHWM; "
          f"one part at a time: {one['wall_s']:.2f} s, {one['rss']:.2f} MiB\n"
          f"  {faster:.1f}x faster (goal >= 3x {'met' if faster >= 3 else 'not met'}), "
          f"{par['rss']:.0f} MiB (goal <= 64 MiB {'met' if par['rss'] <= 64 else 'not met'})")
    print("\n" + render_delivery(delivered, args.delivery_messages))
    print("\n" + cost.report(costs, RECORD_BYTES, args.latency_ms, GOALS["cost"]))
    print(f"\nAll {2 * (5 + args.invocations) * 2} warm invocations succeeded, every record was PUT and checked, "
          f"one AssumeRole per process ({len(aws.assume_role)} processes, the 2 Managed Instances ones included).")
    if args.json:
        args.json.write_text(json.dumps({"started": f"{started:%Y-%m-%d %H:%M:%S}", "settings": vars(args) | {
            "function": str(args.function), "baseline": str(args.baseline), "json": str(args.json)}, **res,
            "managed_instances": lmi, "copy": copied,
            "delivery": [{"messages_per_event": size, "mode": label} | r for (size, label), r in delivered.items()],
            "cost": [{"writer": w, "mode": m, "messages_per_event": s} | r for (w, m, s), r in costs.items()]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
