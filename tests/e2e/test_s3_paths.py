"""S3 notifications through SQS, SNS → SQS and EventBridge, by real triggers (issue 19 item 2).

The source bucket of the deployment gets, for the length of this test, a notification
configuration with three non-overlapping parts (S3 refuses overlapping prefixes for one event
type): the function directly for ``drops/`` (what the session's scenario uses), a queue for
``via-queue/``, and a topic for ``via-topic/`` that the same queue subscribes to WITHOUT raw
delivery (its messages are SNS envelopes). EventBridge delivery is on for the bucket, and a rule
on the default bus sends ``Object Created`` events under ``via-`` to the function as well.
The queue triggers the function (``ReportBatchItemFailures``).

So each object arrives by two paths (the queue or the topic, and EventBridge), and must land
once: one version at ``s3/<bucket>/<key>``, byte for byte the source, with the direct path's
provenance. The keys have a space, a ``+`` and a non-ASCII letter: S3 URL-encodes them in the
notification (ministack too), EventBridge carries them as they are (ministack: "EventBridge keeps
it raw"). A direct S3 notification of the same version, invoked afterwards, answers
``already_existed``. Saving the configuration sends ``s3:TestEvent`` to the queue and the
topic: acknowledged, nothing written. Deleting the sources sends EventBridge ``Object Deleted``
events: nothing is written or deleted.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid

import scenario
from emulator import FUNCTION_NAME, LAMBDA_ACCOUNT, PARTITION, REGION

TIMEOUT = 60


def emf_docs(deployment, source: str, since_ms: int) -> list[dict]:
    """The EMF documents of `source` the function printed since `since_ms` (ministack's
    FilterLogEvents returns at most 10,000 events and no next token: only this test's are read)."""
    logs = deployment.client("logs", "lambda_root")
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{FUNCTION_NAME}", startTime=since_ms)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    docs = []
    for event in found:
        try:
            doc = json.loads(event["message"])
        except ValueError:
            continue
        if isinstance(doc, dict) and "_aws" in doc and doc.get("Source") == source:
            docs.append(doc)
    return docs


def landed_once(doc: dict) -> bool:
    return (doc["RecordsReceived"], doc["RecordsFailed"]) == (1, 0) and \
        doc["ObjectsCreated"] + doc["ObjectsAlreadyPresent"] == 1


def header_safe(text: str) -> str:
    """How the function writes a metadata value: printable ASCII kept, the rest percent-encoded."""
    return urllib.parse.quote(text, safe="".join(chr(c) for c in range(0x20, 0x7f) if chr(c) != "%"))


def test_s3_notifications_through_queue_topic_and_eventbridge_land_once(deployment):
    bucket = deployment.state["function"]["source_bucket"]
    function_arn = deployment.state["function"]["arn"]
    bucket_arn = f"arn:{PARTITION}:s3:::{bucket}"
    s3 = deployment.client("s3", "lambda_root")
    sqs = deployment.client("sqs", "lambda_root")
    sns = deployment.client("sns", "lambda_root")
    events = deployment.client("events", "lambda_root")
    lam = deployment.client("lambda", "lambda_root")
    run = uuid.uuid4().hex[:8]

    queue_url = sqs.create_queue(QueueName=f"writer-s3-paths-{run}",
                                 Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name=f"writer-s3-paths-{run}")["TopicArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": bucket_arn},
                                                  "StringEquals": {"aws:SourceAccount": LAMBDA_ACCOUNT}}},
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})})
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish",
             "Resource": topic_arn, "Condition": {"ArnEquals": {"aws:SourceArn": bucket_arn},
                                                  "StringEquals": {"aws:SourceAccount": LAMBDA_ACCOUNT}}}]}))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "false"})
    rule = f"writer-s3-paths-{run}"
    rule_arn = events.put_rule(Name=rule, State="ENABLED", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "via-"}]}}}))["RuleArn"]
    lam.add_permission(FunctionName=FUNCTION_NAME, StatementId=rule, Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "writer", "Arn": function_arn}])

    original = s3.get_bucket_notification_configuration(Bucket=bucket)
    original.pop("ResponseMetadata", None)
    direct = [dict(c, Filter={"Key": {"FilterRules": [{"Name": "prefix", "Value": "drops/"}]}})
              for c in original.get("LambdaFunctionConfigurations", [])]
    mapping = None
    keys = {path: f"via-{path}/{run} Q4+final é.csv" for path in ("queue", "topic")}
    try:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "LambdaFunctionConfigurations": direct,
            "QueueConfigurations": [{"Id": "via-queue", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "via-queue/"}]}}}],
            "TopicConfigurations": [{"Id": "via-topic", "TopicArn": topic_arn, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "via-topic/"}]}}}],
            "EventBridgeConfiguration": {}})
        mapping = lam.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName=FUNCTION_NAME, BatchSize=10,
            FunctionResponseTypes=["ReportBatchItemFailures"])
        deployment.wait_for_mapping_state(mapping["UUID"], "Enabled")
        since_ms = int(time.time() * 1000) - 1000

        bodies, targets, versions, etags = {}, {}, {}, {}
        for path, key in keys.items():
            bodies[path] = f"path,{path}\nrun,{run}\n".encode() + "é\n".encode()
            put = s3.put_object(Bucket=bucket, Key=key, Body=bodies[path], ContentType="text/csv")
            versions[path], etags[path] = put["VersionId"], put["ETag"].strip('"')
            targets[path] = scenario.prefixed(deployment, f"s3/{bucket}/{key}")
        scenario.wait_for_objects(deployment, list(targets.values()), TIMEOUT)

        def queue_drained() -> bool:
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return sum(int(v) for v in attributes.values()) == 0

        # Every message acknowledged: both test events, both notifications (no batchItemFailures).
        scenario.wait_for(queue_drained, TIMEOUT, "every queue message acknowledged")
        # Both EventBridge events handled too, each landing (created or already there) once.
        scenario.wait_for(
            lambda: len([d for d in emf_docs(deployment, "eventbridge", since_ms) if landed_once(d)]) >= 2,
            TIMEOUT, "the two Object Created events handled")

        target_s3 = deployment.client("s3", "bucket_root")
        for path, key in keys.items():
            assert scenario.version_count(deployment, targets[path]) == 1, f"{path}: one version"
            copy = target_s3.get_object(Bucket=deployment.state["bucket"], Key=targets[path])
            assert copy["Body"].read() == bodies[path], path
            assert copy["Metadata"]["source"] == "s3"
            assert copy["Metadata"]["source-id"] == header_safe(f"{bucket}/{key}")
            assert copy["Metadata"]["source-version-id"] == versions[path]

        # A direct S3 notification of the same version (S3 → Lambda): already there.
        stored = target_s3.head_object(Bucket=deployment.state["bucket"], Key=targets["queue"])["Metadata"]
        notification = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
            "eventTime": "2026-11-22T09:15:04.117Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "E2E", "x-amz-id-2": "E2E"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "writer",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": bucket_arn},
                   "object": {"key": urllib.parse.quote_plus(keys["queue"], safe="/"), "size": len(bodies["queue"]),
                              "eTag": etags["queue"],
                              "versionId": versions["queue"], "sequencer": stored["source-sequencer"]}}}]}
        answer, error = deployment.invoke(notification)
        assert not error, answer
        assert [w["status"] for w in answer["written"]] == ["already_existed"], answer
        assert scenario.version_count(deployment, targets["queue"]) == 1

        # A removal (EventBridge Object Deleted) writes nothing and deletes nothing.
        for key in keys.values():
            scenario.remove_every_version(deployment, "lambda_root", bucket, key)
        scenario.wait_for(
            lambda: len([d for d in emf_docs(deployment, "eventbridge", since_ms) if d["RecordsReceived"] == 0]) >= 2,
            TIMEOUT, "the Object Deleted events handled")
        for path in keys:
            assert scenario.version_count(deployment, targets[path]) == 1, f"{path}: the copy stays"
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=original)
        if mapping:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
        events.remove_targets(Rule=rule, Ids=["writer"])
        events.delete_rule(Name=rule)
        lam.remove_permission(FunctionName=FUNCTION_NAME, StatementId=rule)
        sns.delete_topic(TopicArn=topic_arn)
        sqs.delete_queue(QueueUrl=queue_url)
        for key in keys.values():
            scenario.remove_every_version(deployment, "lambda_root", bucket, key)
