"""The deployed function's EMF metrics, read back from its CloudWatch log stream in the emulator."""

from __future__ import annotations

import json

import scenario
from scenario import emf_documents


def test_each_invocation_prints_one_emf_document_matching_what_it_did(deployment):
    scenario.recycle_function(deployment)  # a fresh environment: this is a cold start
    answer, error = deployment.invoke({"objects": [{"body": "ab"}, {"body": "cde"}]})
    assert not error, answer
    request_id = answer["objects"][0]["key"].split("/")[-2]  # direct/<request id>/<n>
    scenario.wait_for(lambda: emf_documents(deployment, request_id), 30, "the EMF line in the logs")
    (doc,) = emf_documents(deployment, request_id)
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["FunctionName"], ["FunctionName", "Source"]]
    assert {m["Name"] for m in directive["Metrics"]} >= {
        "RecordsReceived", "ObjectsCreated", "ObjectsAlreadyPresent", "RecordsFailed", "BytesWritten",
        "WriteLatency", "AssumeRoleCalls", "ColdStart"}
    assert doc["Source"] == "direct"
    assert (doc["RecordsReceived"], doc["ObjectsCreated"], doc["RecordsFailed"]) == (2, 2, 0)
    assert doc["BytesWritten"] == 5
    assert len(doc["WriteLatency"]) == 2
    assert (doc["AssumeRoleCalls"], doc["ColdStart"]) == (1, 1)

    # The next invocation of the same environment: warm, no AssumeRole, and a failure counted.
    answer, error = deployment.invoke({"objects": [{"body": "x"}, {"key": "sqs/squat", "body": "y"}]})
    assert error, answer
    summary = json.loads(answer["errorMessage"].split(" records failed: ", 1)[1])
    request_id = summary["objects"][0]["key"].split("/")[-2]
    scenario.wait_for(lambda: emf_documents(deployment, request_id), 30, "the EMF line in the logs")
    (doc,) = emf_documents(deployment, request_id)
    assert (doc["RecordsReceived"], doc["ObjectsCreated"], doc["RecordsFailed"]) == (2, 1, 1)
    assert (doc["AssumeRoleCalls"], doc["ColdStart"]) == (0, 0)
    assert "squat" not in json.dumps(doc), "no keys in metrics"
