"""Asynchronous events that fail every attempt do not vanish: after the bounded retries Lambda
sends them, with their payload and the function's error, to the failure queue
(PutFunctionEventInvokeConfig, DestinationConfig.OnFailure).

ministack runs S3 notifications and ``InvocationType=Event`` invokes through the same retry
loop (``lambda_svc.invoke_async_with_retry``) and writes the destination record AWS documents
(``requestContext``, ``requestPayload``, ``responseContext``, ``responsePayload``). What
ministack 1.5.33 does not do, so what only AWS shows: it delivers without checking the execution
role's ``sqs:SendMessage`` grant (the test below checks the grant is the rendered template), its
record has no ``version``/``timestamp``/``requestId``/``executedVersion``, and
``approximateInvokeCount`` is always 3 whatever the retries were.
"""

from __future__ import annotations

import json
import uuid

import scenario
from emulator import ASYNC_MAX_RETRY_ATTEMPTS, EXECUTION_ROLE, FAILURE_QUEUE_ARN, FUNCTION_NAME, render_policy

# One retry is 1 s apart in ministack; the rest is two short invocations.
FAILURE_TIMEOUT = 30


def test_execution_role_may_send_to_the_failure_queue_only(emulator):
    """The grant Lambda needs to deliver to the destination is the rendered template."""
    stored = emulator.client("iam", "lambda_root").get_role_policy(
        RoleName=EXECUTION_ROLE, PolicyName="send-failures")["PolicyDocument"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored == render_policy("execution-send-failures", queue_arn=FAILURE_QUEUE_ARN)


def test_async_invocations_have_bounded_retries_and_an_on_failure_queue(deployment):
    config = deployment.client("lambda", "lambda_root").get_function_event_invoke_config(FunctionName=FUNCTION_NAME)
    assert config["MaximumRetryAttempts"] == ASYNC_MAX_RETRY_ATTEMPTS
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == deployment.state["function"]["failure_queue_arn"]
    assert deployment.state["function"]["failure_queue_arn"] == FAILURE_QUEUE_ARN


def assert_function_errored(record: dict, function_arn: str, message: str) -> None:
    context = record["requestContext"]
    assert context["condition"] == "RetriesExhausted", record
    assert context["functionArn"].split(":$LATEST")[0] == function_arn, record
    assert record["responseContext"]["functionError"], record
    assert message in record["responsePayload"]["errorMessage"], record


def test_an_s3_event_that_always_fails_lands_in_the_failure_queue(deployment):
    state = deployment.state
    failing = scenario.drop_conflicting_source_object(deployment)
    letter = None
    try:
        letter = scenario.wait_for_failure_letter(deployment, failing, FAILURE_TIMEOUT)
        record = letter["record"]
        (s3_record,) = record["requestPayload"]["Records"]
        assert s3_record["eventSource"] == "aws:s3"
        assert s3_record["eventName"].startswith("ObjectCreated:")
        assert s3_record["s3"]["bucket"]["name"] == failing.source_bucket
        assert s3_record["s3"]["object"]["key"] == failing.source_key
        assert_function_errored(record, state["function"]["arn"], "already holds another record")
        assert failing.destination_key in record["responsePayload"]["errorMessage"]
        # Tried 1 + MaximumRetryAttempts times (the record's approximateInvokeCount is a constant 3
        # in ministack 1.5.33, so the function's own log streams are counted instead).
        attempts = [rid for rid, lines in scenario.log_lines_by_request(deployment).items()
                    if any(failing.source_key in line for line in lines)]
        assert len(attempts) == 1 + ASYNC_MAX_RETRY_ATTEMPTS, attempts
        # The object the bucket account put there is left as it was.
        assert scenario.version_count(deployment, failing.destination_key) == 1
        assert scenario.object_body(deployment, failing.destination_key).startswith(b"put here by hand")
    finally:  # another test checks which keys exist: remove the foreign object (every version)
        scenario.clean_up_failing_event(deployment, failing)
        if letter:
            scenario.delete_failure_letter(deployment, letter)
    assert failing.destination_key not in scenario.bucket_keys(deployment)


def test_a_failing_async_direct_invoke_lands_in_the_failure_queue(deployment):
    """InvocationType=Event with a key in a reserved namespace: refused on every attempt."""
    payload = {"key": f"sqs/{uuid.uuid4()}", "body": "refused: sqs/ is reserved for message IDs"}
    answer = deployment.client("lambda", "lambda_root").invoke(
        FunctionName=FUNCTION_NAME, InvocationType="Event", Payload=json.dumps(payload).encode())
    assert answer["StatusCode"] == 202

    def found():
        return next((letter for letter in scenario.failure_letters(deployment)
                     if (letter["record"] or {}).get("requestPayload") == payload), None)

    letter = scenario.wait_for(found, FAILURE_TIMEOUT, "the failed direct invoke in the failure queue")
    try:
        assert_function_errored(letter["record"], deployment.state["function"]["arn"], "reserved")
    finally:
        scenario.delete_failure_letter(deployment, letter)
    assert not any(payload["key"] in key for key in scenario.bucket_keys(deployment))
