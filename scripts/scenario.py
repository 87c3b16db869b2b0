"""Drive every trigger of the deployed function and observe the results in the bucket account.

Shared by ``demo.py`` (which prints the results) and ``tests/e2e`` (which asserts on them), so
the demo shows exactly what the tests check. Everything acts through the emulator's public
APIs with the identities a real deployment would use: producers act as the lambda account
root, observers as the bucket account root.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator import EVENT_PATTERN, QUEUE_NAME, REGION, REPO_ROOT, TOPIC_NAME, Emulator, EmulatorError
from emulator import FUNCTION_NAME, LAMBDA_ACCOUNT, PARTITION

EVENT_SOURCE = EVENT_PATTERN["source"][0]
EVENT_DETAIL_TYPE = "OrderPlaced"
SOURCE_OBJECT_KEY = "drops/order-7.csv"
ASSUMED_LOG_LINE = "assumed target role"


class ScenarioError(EmulatorError):
    """A step did not do what it said it would."""


@dataclass
class Expected:
    """One object the function must write: where, with what body, and which trigger caused it."""

    trigger: str
    key: str
    body: bytes | None = None  # None: checked by the caller (e.g. JSON content)
    source_id: str = ""  # the object's `source-id` metadata, where the test checks it
    content_type: str = ""  # the object's content type, where the test checks it


@dataclass
class Fired:
    """What was sent, and what must come of it."""

    expected: list[Expected] = field(default_factory=list)
    malformed_message_id: str = ""
    good_message_ids: list[str] = field(default_factory=list)
    event: dict = field(default_factory=dict)
    http_response: dict = field(default_factory=dict)
    direct_response: Any = None
    whoami: Any = None
    kafka_responses: dict = field(default_factory=dict)


# -- waiting ---------------------------------------------------------------------------------

def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.5,
             progress: Callable[[], None] | None = None) -> Any:
    """Poll ``condition`` until it returns something truthy; ScenarioError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise ScenarioError(f"timed out after {timeout:.0f}s waiting for {what}")
        if progress:
            progress()
        time.sleep(interval)


# -- producers -------------------------------------------------------------------------------

def prefixed(emu: Emulator, relative: str) -> str:
    return emu.state["key_prefix"] + relative


def send_queue_messages(emu: Emulator, fired: Fired) -> None:
    """Two good messages and one malformed one, in ONE SendMessageBatch so they share a batch.

    The malformed message says its body is base64 (message attribute ``content-encoding``) but
    it is not: the function must fail that record alone. (An empty body would be the simplest
    malformed case, but SQS refuses to send one: MessageBody is required and non-empty.)
    """
    bodies = {"good-1": f"first message {uuid.uuid4()}", "good-2": f"second message {uuid.uuid4()}"}
    entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in bodies.items()]
    entries.insert(1, {"Id": "malformed", "MessageBody": "%%% this is not base64 %%%",
                       "MessageAttributes": {"content-encoding": {"DataType": "String", "StringValue": "base64"}}})
    answer = emu.client("sqs", "lambda_root").send_message_batch(
        QueueUrl=emu.state["function"]["queue_url"], Entries=entries)
    if answer.get("Failed"):
        raise ScenarioError(f"SendMessageBatch refused messages: {answer['Failed']}")
    for sent in answer["Successful"]:
        if sent["Id"] == "malformed":
            fired.malformed_message_id = sent["MessageId"]
            continue
        fired.good_message_ids.append(sent["MessageId"])
        fired.expected.append(Expected("sqs", prefixed(emu, f"sqs/{QUEUE_NAME}/{sent['MessageId']}"),
                                       bodies[sent["Id"]].encode()))


def publish_notification(emu: Emulator, fired: Fired) -> None:
    message = f"order 7 shipped ({uuid.uuid4()})"
    message_id = emu.client("sns", "lambda_root").publish(
        TopicArn=emu.state["function"]["topic_arn"], Message=message)["MessageId"]
    fired.expected.append(Expected("sns", prefixed(emu, f"sns/{TOPIC_NAME}/{message_id}"), message.encode()))


def put_event(emu: Emulator, fired: Fired) -> None:
    detail = {"order": 7, "total": "12.50", "nonce": str(uuid.uuid4())}
    entry = emu.client("events", "lambda_root").put_events(Entries=[{
        "Source": EVENT_SOURCE, "DetailType": EVENT_DETAIL_TYPE, "Detail": json.dumps(detail),
        "EventBusName": emu.state["function"]["event_bus"]}])["Entries"][0]
    if "EventId" not in entry:
        raise ScenarioError(f"PutEvents refused the event: {entry}")
    fired.event = {"id": entry["EventId"], "detail": detail}
    fired.expected.append(Expected(
        "eventbridge", prefixed(emu, f"events/{EVENT_SOURCE}/{EVENT_DETAIL_TYPE}/{entry['EventId']}")))


def drop_source_object(emu: Emulator, fired: Fired) -> None:
    body = f"sku,qty\nA-1,{uuid.uuid4().int % 100}\n".encode()
    source_bucket = emu.state["function"]["source_bucket"]
    emu.client("s3", "lambda_root").put_object(Bucket=source_bucket, Key=SOURCE_OBJECT_KEY, Body=body,
                                               ContentType="text/csv")
    fired.expected.append(Expected("s3", prefixed(emu, f"s3/{source_bucket}/{SOURCE_OBJECT_KEY}"), body))


def signed_post(emu: Emulator, url: str, body: bytes, content_type: str = "text/plain",
                sign: bool = True) -> tuple[int, dict, bytes]:
    """POST to a Function URL, SigV4-signed (service ``lambda``) as the lambda account root."""
    headers = {"Content-Type": content_type}
    if sign:
        root = emu.state["lambda_root"]
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(Credentials(root["access_key_id"], root["secret_access_key"]), "lambda", REGION).add_auth(request)
        headers = dict(request.headers.items())
    context = ssl.create_default_context(cafile=emu.state["ca_bundle"])
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def post_to_function_url(emu: Emulator, fired: Fired) -> None:
    body = json.dumps({"order": 7, "via": "function url", "nonce": str(uuid.uuid4())}).encode()
    status, headers, answer = signed_post(emu, emu.state["function"]["url"], body, "application/json")
    if status != 201:
        raise ScenarioError(f"Function URL POST answered {status}: {answer[:500]!r}")
    fired.http_response = json.loads(answer)
    request_id = {k.lower(): v for k, v in headers.items()}.get("x-amzn-requestid", "")
    fired.expected.append(Expected("function url", prefixed(emu, f"http/{request_id}"), body))


def invoke_directly(emu: Emulator, fired: Fired) -> None:
    body = f"written by a direct invoke {uuid.uuid4()}"
    relative = f"direct-demo/{uuid.uuid4()}.txt"
    fired.direct_response, error = emu.invoke({"key": relative, "body": body, "content_type": "text/plain"})
    if error:
        raise ScenarioError(f"direct invoke failed: {fired.direct_response}")
    fired.expected.append(Expected("direct invoke", prefixed(emu, relative), body.encode()))


def put_kinesis_records(emu: Emulator, records: list[tuple[str, bytes]]) -> list[Expected]:
    """(partition key, data) records in ONE PutRecords, so the mapping hands them over as one
    batch (one shard); what each must become: its data at kinesis/<stream>/<shardId>/<sequence>."""
    stream = emu.state["kinesis_stream_name"]
    answer = emu.client("kinesis", "lambda_root").put_records(
        StreamName=stream, Records=[{"PartitionKey": key, "Data": data} for key, data in records])
    if answer.get("FailedRecordCount"):
        raise ScenarioError(f"PutRecords refused records: {answer['Records']}")
    return [Expected("kinesis", prefixed(emu, f"kinesis/{stream}/{put['ShardId']}/{put['SequenceNumber']}"), data,
                     source_id=f"{put['ShardId']}:{put['SequenceNumber']}")
            for (_, data), put in zip(records, answer["Records"])]


def put_stream_records(emu: Emulator, fired: Fired) -> None:
    """A JSON record and a binary one (not UTF-8) through the Kinesis event source mapping."""
    fired.expected.extend(put_kinesis_records(emu, [
        ("order-7", json.dumps({"order": 7, "nonce": str(uuid.uuid4())}).encode()),
        ("order-8", b"\x00\xff\xfe binary " + os.urandom(16)),
    ]))


def stream_records_as_sent(emu: Emulator) -> list[dict]:
    """Every record of the table's stream, as the DynamoDB event source mapping sends it.

    Read with GetRecords and decoded from the raw response (botocore would turn the creation
    time into a datetime); the mapping's record is the same with ``eventSourceARN`` added last
    (the Streams API's record has none), and ministack serializes the event with ``json.dumps``.
    """
    streams = emu.client("dynamodbstreams", "lambda_root")
    raw_pages: list[bytes] = []
    streams.meta.events.register("after-call.dynamodbstreams.GetRecords",
                                 lambda http_response, **_: raw_pages.append(http_response.content))
    stream_arn = emu.state["dynamodb_stream_arn"]
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator and streams.get_records(ShardIterator=iterator).get("Records"):
            iterator = json.loads(raw_pages[-1]).get("NextShardIterator")
    return [{**record, "eventSourceARN": stream_arn} for page in raw_pages for record in json.loads(page)["Records"]]


def change_table_item(emu: Emulator, fired: Fired) -> None:
    """PutItem then UpdateItem on one item: an INSERT and a MODIFY record through the DynamoDB
    event source mapping, each written as the stream record it arrived as."""
    ddb, table = emu.client("dynamodb", "lambda_root"), emu.state["dynamodb_table_name"]
    pk = f"order-{uuid.uuid4()}"
    ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "total": {"N": "12345678901234567890.25"}, "note": {"S": "café"},
                                        "blob": {"B": b"\x00\xff"}})
    ddb.update_item(TableName=table, Key={"pk": {"S": pk}}, UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "shipped"}})
    records = [r for r in stream_records_as_sent(emu) if r["dynamodb"]["Keys"]["pk"]["S"] == pk]
    if [r["eventName"] for r in records] != ["INSERT", "MODIFY"]:
        raise ScenarioError(f"the table's stream does not hold the INSERT and MODIFY of {pk}: {records}")
    table_name = emu.state["dynamodb_table_name"]
    fired.expected.extend(Expected("dynamodb", prefixed(emu, f"dynamodb/{table_name}/{r['eventID']}"),
                                   json.dumps(r).encode(), source_id=r["eventID"]) for r in records)


KAFKA_SAMPLES = {"msk": "msk.json", "self-managed kafka": "self-managed-kafka.json"}


def invoke_with_kafka_samples(emu: Emulator, fired: Fired) -> None:
    """The sample MSK and self-managed Kafka events, sent by a direct (RequestResponse) invoke of
    the deployed function: the emulator has no Kafka. Each gets a topic of its own (a fresh
    key), and each record's value must land at kafka/<topic>/<partition>/<offset>."""
    for trigger, sample in KAFKA_SAMPLES.items():
        event = json.loads((REPO_ROOT / "events" / sample).read_text())
        topic = f"orders-{uuid.uuid4().hex[:12]}"
        renamed = {}
        for records in event["records"].values():
            for record in records:
                record["topic"] = topic
                renamed.setdefault(f"{topic}-{record['partition']}", []).append(record)
                headers = {name: bytes(value) for header in record["headers"] for name, value in header.items()}
                fired.expected.append(Expected(
                    trigger, prefixed(emu, f"kafka/{topic}/{record['partition']}/{record['offset']}"),
                    base64.b64decode(record["value"]), source_id=f"{topic}-{record['partition']}@{record['offset']}",
                    content_type=headers.get("content-type", b"").decode()))
        event["records"] = renamed
        fired.kafka_responses[trigger], error = emu.invoke(event)
        if error:
            raise ScenarioError(f"the {sample} invoke failed: {fired.kafka_responses[trigger]}")


def ask_whoami(emu: Emulator, fired: Fired) -> None:
    fired.whoami, error = emu.invoke({"action": "whoami"})
    if error:
        raise ScenarioError(f"whoami failed: {fired.whoami}")


def preflight(emu: Emulator) -> dict:
    """``{"action": "preflight"}`` on the deployed function: the answer (it is never a function error)."""
    answer, error = emu.invoke({"action": "preflight"})
    if error or not isinstance(answer, dict) or "checks" not in answer:
        raise ScenarioError(f"the preflight did not answer: {answer}")
    return answer


def preflight_statuses(answer: dict) -> dict[str, str]:
    """Each check's status, by name (in the answer's order)."""
    return {check["name"]: check["status"] for check in answer["checks"]}


@dataclass
class FailingEvent:
    """An S3 event that fails on every attempt, and where its copy would have gone."""

    source_bucket: str
    source_key: str
    destination_key: str


def drop_conflicting_source_object(emu: Emulator) -> FailingEvent:
    """Make an asynchronous S3 event fail every time, then fire it.

    The bucket account first puts an object of its own (other bytes, no provenance metadata)
    where the function would copy the source object, so each attempt's identity check reports
    a conflict ("already holds another record") instead of overwriting it; then the lambda
    account drops the source object. Lambda retries, then sends the event to the failure queue.
    """
    source_bucket = emu.state["function"]["source_bucket"]
    source_key = f"drops/conflicting-{uuid.uuid4()}.csv"
    failing = FailingEvent(source_bucket, source_key, prefixed(emu, f"s3/{source_bucket}/{source_key}"))
    emu.client("s3", "bucket_root").put_object(
        Bucket=emu.state["bucket"], Key=failing.destination_key, IfNoneMatch="*",
        Body=b"put here by hand in the bucket account\n", ContentType="text/plain")
    emu.client("s3", "lambda_root").put_object(Bucket=source_bucket, Key=source_key, ContentType="text/csv",
                                               Body=f"sku,qty\nB-2,{uuid.uuid4().int % 100}\n".encode())
    return failing


@dataclass
class ConflictingStreamBatch:
    """One Kinesis batch whose middle record is refused every time, and its batch mates."""

    mates: list[Expected]
    refused: Expected  # its key, with the body of the object that was there first
    sequence_number: str


def put_kinesis_batch_with_a_conflict(emu: Emulator) -> ConflictingStreamBatch:
    """Three records in one batch; the middle one meets another object at its key every time.

    The key contains the sequence number Kinesis assigns, so the mapping is paused while the
    records are put and the bucket account puts an object of its own (other bytes, no
    provenance) at the middle record's key; then the mapping resumes from where it was. The
    identity check must refuse to take that object for the record.
    """
    mapping = emu.state["function"]["kinesis_event_source_mapping"]
    emu.set_mapping_enabled(mapping, False)
    try:
        first, refused, last = put_kinesis_records(emu, [
            (f"batch-{n}", f"record {n} of a batch {uuid.uuid4()}".encode()) for n in range(3)])
        squatter = b"put here by hand in the bucket account\n"
        emu.client("s3", "bucket_root").put_object(Bucket=emu.state["bucket"], Key=refused.key, IfNoneMatch="*",
                                                   Body=squatter, ContentType="text/plain")
    finally:
        emu.set_mapping_enabled(mapping, True)
    return ConflictingStreamBatch([first, last], Expected("kinesis", refused.key, squatter, refused.source_id),
                                  refused.source_id.split(":", 1)[1])


def failure_letters(emu: Emulator) -> list[dict]:
    """Messages in the failure queue (async OnFailure destination), looked at without hiding them;
    each with its body decoded as ``record`` (None if it is not JSON)."""
    answer = emu.client("sqs", "lambda_root").receive_message(
        QueueUrl=emu.state["function"]["failure_queue_url"], MaxNumberOfMessages=10, VisibilityTimeout=0,
        AttributeNames=["All"])
    letters = answer.get("Messages", [])
    for letter in letters:
        try:
            letter["record"] = json.loads(letter["Body"])
        except ValueError:
            letter["record"] = None
    return letters


def s3_objects_of(payload: Any) -> list[tuple[str, str]]:
    """(bucket, key) of each record of an S3 notification (keys as sent: form-encoded)."""
    records = payload.get("Records", []) if isinstance(payload, dict) else []
    return [(r.get("s3", {}).get("bucket", {}).get("name", ""), r.get("s3", {}).get("object", {}).get("key", ""))
            for r in records if isinstance(r, dict)]


def wait_for_failure_letter(emu: Emulator, failing: FailingEvent, timeout: float = 30,
                            progress: Callable[[], None] | None = None) -> dict:
    """The failure-queue message whose requestPayload is the S3 event of ``failing``."""
    wanted = (failing.source_bucket, failing.source_key)

    def found():
        return next((letter for letter in failure_letters(emu)
                     if wanted in s3_objects_of((letter["record"] or {}).get("requestPayload"))), None)

    return wait_for(found, timeout, f"the failed event of {failing.source_key} in the failure queue",
                    progress=progress)


def delete_failure_letter(emu: Emulator, letter: dict) -> None:
    emu.client("sqs", "lambda_root").delete_message(QueueUrl=emu.state["function"]["failure_queue_url"],
                                                    ReceiptHandle=letter["ReceiptHandle"])


def remove_every_version(emu: Emulator, identity: str, bucket: str, key: str) -> None:
    """Delete every version (and delete marker) of ``key``: the buckets are versioned."""
    s3 = emu.client("s3", identity)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if version["Key"] == key:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])


def clean_up_failing_event(emu: Emulator, failing: FailingEvent) -> None:
    remove_every_version(emu, "bucket_root", emu.state["bucket"], failing.destination_key)
    remove_every_version(emu, "lambda_root", failing.source_bucket, failing.source_key)


def failure_message(answer: Any, function_error: str | None) -> str:
    """The error of a failed direct invoke: the function error (a direct invoke with any failed
    object is a function error carrying the per-object summary), else the failed objects' errors.
    """
    if function_error:
        return answer.get("errorMessage", "") if isinstance(answer, dict) else str(answer)
    objects = answer.get("objects", []) if isinstance(answer, dict) else []
    return "\n".join(o.get("error", "") for o in objects if o.get("status") == "failed")


def fire_all(emu: Emulator, step: Callable[[str], None] = lambda _: None) -> Fired:
    """Fire every trigger once; ``step`` is told what is being done (for the demo's output)."""
    fired = Fired()
    for what, action in [
        ("3 SQS messages (one malformed)", send_queue_messages),
        ("an SNS notification", publish_notification),
        ("an EventBridge event", put_event),
        ("an object into the source bucket", drop_source_object),
        ("a SigV4-signed Function URL POST", post_to_function_url),
        ("a direct invoke", invoke_directly),
        ("2 Kinesis records (one binary) in one PutRecords", put_stream_records),
        ("a DynamoDB PutItem and UpdateItem", change_table_item),
        ("the MSK and self-managed Kafka sample events (direct invoke: no Kafka here)", invoke_with_kafka_samples),
        ('{"action": "whoami"}', ask_whoami),
    ]:
        step(what)
        action(emu, fired)
    return fired


# -- CloudWatch Logs -------------------------------------------------------------------------

# Escapes, a tab, a newline, non-ASCII, an emoji and a JSON message: each must be stored as sent.
LOG_MESSAGES = [
    "START RequestId: 8f1c6a2e Version: $LATEST",
    '{"level":"INFO","msg":"order placed","total":42.5}',
    'quote " backslash \\ tab \t über 😀\nsecond line',
]


@dataclass
class LogDelivery:
    """Log events put into a log group whose subscription filter targets the function."""

    group: str
    stream: str
    sent: list[dict]


def log_through_subscription(emu: Emulator) -> LogDelivery:
    """A new log group and stream, a subscription filter to the deployed function (with the
    Lambda permission AWS requires), and LOG_MESSAGES put with one PutLogEvents."""
    group = f"/aws/lambda/orders-{uuid.uuid4().hex[:8]}"
    stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
    logs = emu.client("logs", "lambda_root")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    function_arn = f"arn:{PARTITION}:lambda:{REGION}:{LAMBDA_ACCOUNT}:function:{FUNCTION_NAME}"
    emu.client("lambda", "lambda_root").add_permission(
        FunctionName=FUNCTION_NAME, StatementId=f"logs-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
        SourceArn=f"arn:{PARTITION}:logs:{REGION}:{LAMBDA_ACCOUNT}:log-group:{group}:*",
        SourceAccount=LAMBDA_ACCOUNT)
    logs.put_subscription_filter(logGroupName=group, filterName="to-archive", filterPattern="",
                                 destinationArn=function_arn)
    now = int(time.time() * 1000)
    sent = [{"timestamp": now + n, "message": message} for n, message in enumerate(LOG_MESSAGES)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=sent)
    return LogDelivery(group, stream, sent)


def log_group_prefix(emu: Emulator, group: str) -> str:
    """Where the deliveries of a log group of the lambda account land: logs/<owner>/<group>/."""
    return f"{emu.state['key_prefix']}logs/{LAMBDA_ACCOUNT}/{group.replace('%', '%25').replace('/', '%2F')}/"


def wait_for_deliveries(emu: Emulator, group: str, count: int, timeout: float = 60,
                        progress: Callable[[], None] | None = None) -> list[str]:
    """The keys under the log group's prefix, once there are at least ``count``."""
    prefix = log_group_prefix(emu, group)

    def keys() -> list[str]:
        return sorted(key for key in bucket_keys(emu) if key.startswith(prefix))

    wait_for(lambda: len(keys()) >= count, timeout, f"{count} object(s) under {prefix}", progress=progress)
    return keys()


# -- S3 notifications through a queue --------------------------------------------------------

@dataclass
class QueuedCopy:
    source_key: str
    body: bytes
    target_key: str
    queue_name: str


def copy_through_queue(emu: Emulator) -> QueuedCopy:
    """The source bucket notifies a queue of its own for ``via-queue/`` (the direct Lambda
    notification keeps ``drops/``), the queue triggers the function, and one object is put there.
    The queue, its mapping and the notification stay until the emulator stops."""
    bucket = emu.state["function"]["source_bucket"]
    s3, sqs = emu.client("s3", "lambda_root"), emu.client("sqs", "lambda_root")
    name = f"writer-s3-notifications-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:{PARTITION}:s3:::{bucket}"},
                                                 "StringEquals": {"aws:SourceAccount": LAMBDA_ACCOUNT}}}]})})
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    direct = [dict(c, Filter={"Key": {"FilterRules": [{"Name": "prefix", "Value": "drops/"}]}})
              for c in config.get("LambdaFunctionConfigurations", [])]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": direct,
        "QueueConfigurations": [{"Id": "via-queue", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "via-queue/"}]}}}]})
    lam = emu.client("lambda", "lambda_root")
    mapping = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=FUNCTION_NAME,
                                              BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    emu.wait_for_mapping_state(mapping["UUID"], "Enabled")
    key = f"via-queue/reports/Q4 summary+final {uuid.uuid4().hex[:6]}.csv"
    body = b"quarter,total\nQ4,1299.50\n"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv")
    return QueuedCopy(key, body, prefixed(emu, f"s3/{bucket}/{key}"), name)


# -- observers -------------------------------------------------------------------------------

def bucket_keys(emu: Emulator) -> set[str]:
    """Every key (any version) in the target bucket, seen by the bucket account root."""
    s3 = emu.client("s3", "bucket_root")
    keys = set()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=emu.state["bucket"]):
        keys.update(version["Key"] for version in page.get("Versions", []))
    return keys


def object_body(emu: Emulator, key: str) -> bytes:
    return emu.client("s3", "bucket_root").get_object(Bucket=emu.state["bucket"], Key=key)["Body"].read()


def version_count(emu: Emulator, key: str) -> int:
    answer = emu.client("s3", "bucket_root").list_object_versions(Bucket=emu.state["bucket"], Prefix=key)
    return sum(1 for version in answer.get("Versions", []) if version["Key"] == key)


def wait_for_objects(emu: Emulator, keys: list[str], timeout: float = 60,
                     progress: Callable[[], None] | None = None) -> None:
    def missing() -> list[str]:
        return sorted(set(keys) - bucket_keys(emu))

    try:
        wait_for(lambda: not missing(), timeout, "the objects", progress=progress)
    except ScenarioError:
        raise ScenarioError(f"timed out after {timeout:.0f}s; objects never written: {missing()}") from None


def dead_letters(emu: Emulator) -> list[dict]:
    """Messages in the DLQ, looked at without hiding them (visibility timeout 0)."""
    answer = emu.client("sqs", "lambda_root").receive_message(
        QueueUrl=emu.state["function"]["dlq_url"], MaxNumberOfMessages=10, VisibilityTimeout=0,
        AttributeNames=["All"], MessageAttributeNames=["All"])
    return answer.get("Messages", [])


def wait_for_dead_letter(emu: Emulator, message_id: str, timeout: float = 60,
                         progress: Callable[[], None] | None = None) -> dict:
    def found():
        return next((m for m in dead_letters(emu) if m["MessageId"] == message_id), None)

    return wait_for(found, timeout, f"message {message_id} in the DLQ", progress=progress)


def queue_is_drained(emu: Emulator) -> bool:
    attributes = emu.client("sqs", "lambda_root").get_queue_attributes(
        QueueUrl=emu.state["function"]["queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(value == "0" for value in attributes.values())


def object_table(emu: Emulator) -> list[dict]:
    """Key, size, owner account and content type of every object, as the bucket account sees them.

    ListObjectsV2 (FetchOwner) gives a canonical user ID; it is mapped to an account by
    comparing with each account's own canonical ID (ListBuckets' Owner).
    """
    s3 = emu.client("s3", "bucket_root")
    owners = {emu.client("s3", root).list_buckets()["Owner"]["ID"]: emu.state[account]
              for root, account in (("lambda_root", "lambda_account_id"), ("bucket_root", "bucket_account_id"))}
    rows = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=emu.state["bucket"], FetchOwner=True):
        for item in page.get("Contents", []):
            head = s3.head_object(Bucket=emu.state["bucket"], Key=item["Key"])
            owner_id = item.get("Owner", {}).get("ID", "")
            rows.append({"key": item["Key"], "size": item["Size"],
                         "owner": owners.get(owner_id, owner_id[:12] or "?"),
                         "content_type": head.get("ContentType", ""),
                         "encryption": head.get("ServerSideEncryption", "")})
    return rows


def function_assume_role_calls(emu: Emulator) -> list[dict]:
    """AssumeRole calls on the target role made with the deployed function's credentials.

    Read from ministack's CloudTrail recording (LookupEvents in the lambda account), so the
    count does not depend on what the function chooses to log. Calls made by the emulator's
    own helper sessions (execution_credentials, no_assume_credentials) are left out.
    """
    own_keys = {emu.state[name]["access_key_id"] for name in ("execution_credentials", "no_assume_credentials")}
    trail = emu.client("cloudtrail", "lambda_root")
    calls = []
    for page in trail.get_paginator("lookup_events").paginate():
        for event in page["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            parameters = record.get("requestParameters") or {}
            action = parameters.get("Action") or event["EventName"]
            if (record.get("eventSource") == "sts.amazonaws.com" and action == "AssumeRole"
                    and parameters.get("RoleArn") == emu.state["target_role_arn"]
                    and event.get("AccessKeyId") not in own_keys):
                calls.append({"event_id": event["EventId"], "time": event["EventTime"],
                              "session_name": parameters.get("RoleSessionName"),
                              "access_key_id": event.get("AccessKeyId")})
    return calls


def log_lines_by_request(emu: Emulator) -> dict[str, list[str]]:
    """The function's log lines per invocation request ID (between START and END)."""
    grouped: dict[str, list[str]] = {}
    for lines in emu.function_log_streams().values():
        request_id = None
        for line in lines:
            if line.startswith("START RequestId: "):
                request_id = line.split()[2]
                grouped.setdefault(request_id, [])
            elif line.startswith(("END RequestId: ", "REPORT RequestId: ")):
                request_id = None
            elif request_id:
                grouped[request_id].append(line)
    return grouped


def emf_documents(emu: Emulator, request_id: str) -> list[dict]:
    """The EMF documents the function printed during one invocation."""
    docs = []
    for line in log_lines_by_request(emu).get(request_id, []):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and "_aws" in doc:
            docs.append(doc)
    return docs


def recycle_function(emu: Emulator) -> None:
    """Replace every warm execution environment (a configuration change retires them all)."""
    emu.update_function_environment({"E2E_GENERATION": str(uuid.uuid4())})

