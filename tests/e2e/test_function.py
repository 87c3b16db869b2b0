"""The deployed function, driven through its real triggers in the emulated lambda account.

``fired`` (conftest) sends one event per trigger and waits until every expected object is in
the bucket account and the malformed SQS message is in the DLQ. The tests check what landed
where, with which body, and what the function refuses to do.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

import scenario
from emulator import BUCKET_ACCOUNT, LAMBDA_ACCOUNT, MAX_RECEIVE_COUNT

TRIGGERS = ["sqs", "sns", "eventbridge", "s3", "function url", "direct invoke"]


def expected_for(fired: scenario.Fired, trigger: str) -> list[scenario.Expected]:
    found = [expected for expected in fired.expected if expected.trigger == trigger]
    assert found, f"the scenario fired nothing for {trigger}"
    return found


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_trigger_lands_its_object_with_the_right_body(deployment, fired, trigger):
    for expected in expected_for(fired, trigger):
        assert expected.key in scenario.bucket_keys(deployment)
        body = scenario.object_body(deployment, expected.key)
        if expected.body is not None:
            assert body == expected.body, expected.key
        else:  # EventBridge: the whole event, as JSON
            event = json.loads(body)
            assert event["id"] == fired.event["id"]
            assert event["source"] == scenario.EVENT_SOURCE
            assert event["detail-type"] == scenario.EVENT_DETAIL_TYPE
            assert event["detail"] == fired.event["detail"]


def test_objects_are_encrypted_as_the_bucket_requires(deployment, fired):
    """(Ownership is not asserted: ministack's FetchOwner reports the requester, not the object.)"""
    rows = {row["key"]: row for row in scenario.object_table(deployment)}
    for expected in fired.expected:
        assert rows[expected.key]["encryption"] == "AES256", expected.key


def test_direct_invoke_reports_what_it_wrote(deployment, fired):
    (expected,) = expected_for(fired, "direct invoke")
    response = fired.direct_response
    assert response["bucket"] == deployment.state["bucket"]
    (written,) = response["objects"]
    assert written["key"] == expected.key
    assert written["status"] == "created"
    head = deployment.client("s3", "bucket_root").head_object(Bucket=deployment.state["bucket"], Key=expected.key)
    assert head["ContentType"] == "text/plain"


def test_function_url_answers_201_with_the_object(deployment, fired):
    (expected,) = expected_for(fired, "function url")
    answer = fired.http_response
    assert answer["bucket"] == deployment.state["bucket"]
    assert answer["key"] == expected.key
    assert answer["etag"] and answer["version_id"]


def test_function_url_refuses_unsigned_requests(deployment):
    status, _, _ = scenario.signed_post(deployment, deployment.state["function"]["url"], b"anonymous", sign=False)
    assert status == 403


def test_malformed_message_is_redelivered_then_dead_lettered(deployment, fired):
    (letter,) = [m for m in scenario.dead_letters(deployment) if m["MessageId"] == fired.malformed_message_id]
    assert int(letter["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVE_COUNT
    assert not any(fired.malformed_message_id in key for key in scenario.bucket_keys(deployment))


def test_batch_mates_of_the_malformed_message_land_exactly_once(deployment, fired):
    assert len(fired.good_message_ids) == 2
    dead = {message["MessageId"] for message in scenario.dead_letters(deployment)}
    assert dead.isdisjoint(fired.good_message_ids)
    for expected in expected_for(fired, "sqs"):
        assert scenario.version_count(deployment, expected.key) == 1, expected.key


def test_whoami_names_both_identities(deployment, fired):
    answer = fired.whoami
    execution, assumed = answer["execution_identity"], answer["assumed_identity"]
    assert execution["account"] == LAMBDA_ACCOUNT
    assert ":assumed-role/writer-exec/" in execution["arn"]
    assert assumed["account"] == BUCKET_ACCOUNT
    assert ":assumed-role/writer-target/" in assumed["arn"]
    assert answer["target_role_arn"] == deployment.state["target_role_arn"]
    assert answer["bucket"] == deployment.state["bucket"]


def test_a_repeated_key_is_never_overwritten(deployment):
    """If-None-Match: * and the identity check: the same record again is "already existed",
    other bytes under the same key are an error, and the first object is kept."""
    key = f"repeat/{uuid.uuid4()}.txt"
    first, error = deployment.invoke({"key": key, "body": "first"})
    assert not error, first
    again, error = deployment.invoke({"key": key, "body": "first"})
    assert not error, again
    assert [o["status"] for o in first["objects"] + again["objects"]] == ["created", "already_existed"]
    other, error = deployment.invoke({"key": key, "body": "second"})
    assert error, other
    assert "already holds another record" in other["errorMessage"], other
    full_key = deployment.state["key_prefix"] + key
    assert scenario.object_body(deployment, full_key) == b"first"
    assert scenario.version_count(deployment, full_key) == 1


def test_never_writes_outside_the_prefix(deployment):
    """Caller-given keys that are not clean are refused, each with its reason; no key outside the
    prefix, no '', '.' or '..' segment in any key."""
    hostile = ["../../etc/x", "/abs", "a/../../b", "./c", "d//e", "..", "incoming/../x"]
    answer, error = deployment.invoke({"objects": [{"key": key, "body": "hostile"} for key in hostile]})
    assert error, answer
    summary = json.loads(answer["errorMessage"].split(" records failed: ", 1)[1])
    assert summary["failed"] == len(hostile), summary
    assert all(o["status"] == "failed" and "the key" in o["error"] for o in summary["objects"]), summary
    prefix = deployment.state["key_prefix"]
    for key in scenario.bucket_keys(deployment):
        assert key.startswith(prefix), key
        assert all(segment not in ("", ".", "..") for segment in key[len(prefix):].split("/")), key


def test_wrong_external_id_fails_with_an_actionable_error(deployment):
    before = scenario.bucket_keys(deployment)
    deployment.update_function_environment({"TARGET_EXTERNAL_ID": "not-the-external-id"})
    try:
        answer, error = deployment.invoke({"body": "must not be written"})
    finally:
        deployment.update_function_environment({"TARGET_EXTERNAL_ID": deployment.state["external_id"]})
    message = scenario.failure_message(answer, error)
    assert message, f"the write did not fail: {answer}"
    assert "AccessDenied" in message
    assert "ExternalId" in message
    assert deployment.state["target_role_arn"] in message
    assert deployment.state["execution_role_arn"] in message or ":assumed-role/writer-exec/" in message
    assert scenario.bucket_keys(deployment) == before


def test_assume_role_happens_once_per_warm_process(deployment, fired):
    """Fresh environments, then sequential invokes: one AssumeRole (CloudTrail) and one log line."""
    scenario.wait_for(lambda: scenario.queue_is_drained(deployment), 60, "the queue to drain")
    scenario.recycle_function(deployment)
    calls_before = {call["event_id"] for call in scenario.function_assume_role_calls(deployment)}
    request_ids = []
    for n in range(5):
        answer, error = deployment.invoke({"body": f"count {n}"})
        assert not error, answer
        request_ids.append(answer["objects"][0]["key"].split("/")[-2])  # direct/<request id>/0
    calls = [c for c in scenario.function_assume_role_calls(deployment) if c["event_id"] not in calls_before]
    assert len(calls) == 1, calls

    logs = scenario.log_lines_by_request(deployment)
    announced = [rid for rid in request_ids for line in logs.get(rid, []) if scenario.ASSUMED_LOG_LINE in line]
    assert announced == request_ids[:1], {rid: logs.get(rid) for rid in request_ids}
    counters = [int(n) for rid in request_ids for line in logs.get(rid, [])
                for n in re.findall(r"assume_role_calls\W{1,3}(\d+)", line)]
    assert all(n == 1 for n in counters), counters
