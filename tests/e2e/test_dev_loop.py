"""The README's dev loop, run for real: `cargo lambda watch --env-file` against the emulated
accounts, and `cargo lambda invoke --data-file` with every file in events/.

This keeps the README honest (its commands can't rot) and proves every sample event works
through the local runtime emulator, not only through the decoders' unit tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulator import REPO_ROOT, Emulator, free_loopback_port

EVENTS = REPO_ROOT / "events"
# The first invoke builds the function (debug profile): minutes on a cold 2-core machine.
BUILD_TIMEOUT = 900
INVOKE_TIMEOUT = 60


def cargo_lambda() -> list[str]:
    """cargo-lambda from the project venv (pip install cargo-lambda), else from PATH."""
    beside = Path(sys.executable).parent / "cargo-lambda"
    if beside.exists():
        return [str(beside), "lambda"]
    found = shutil.which("cargo-lambda")
    if not found:
        pytest.fail("cargo-lambda is not installed: run `make venv`", pytrace=False)
    return [found, "lambda"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory) -> Emulator:
    """An emulator of its own: the samples' fixed IDs must not meet the deployment tests' objects."""
    with Emulator(tmp_path_factory.mktemp("dev-loop-emulator")) as emu:
        yield emu


@pytest.fixture(scope="module")
def watch(emulator: Emulator, tmp_path_factory):
    """`cargo lambda watch --env-file` acting as the function; yields its invoke port."""
    env_file = tmp_path_factory.mktemp("dev-loop") / "emulator.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in emulator.local_run_environment().items()))
    # Build first, so the first invoke doesn't wait on the compiler (watch builds the same profile).
    subprocess.run(["cargo", "build", "--bin", "cross-account-s3-writer"], cwd=REPO_ROOT, check=True,
                   timeout=BUILD_TIMEOUT)
    port = free_loopback_port()
    log = open(env_file.parent / "watch.log", "w")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    process = subprocess.Popen([*cargo_lambda(), "watch", "--env-file", str(env_file), "-P", str(port)],
                               cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    try:
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def invoke(port: int, data_file: Path, deadline: float) -> dict:
    """`cargo lambda invoke`, retried while the watcher is still starting up."""
    while True:
        done = subprocess.run([*cargo_lambda(), "invoke", "-P", str(port), "--data-file", str(data_file),
                               "--output-format", "json"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT)
        if done.returncode == 0:
            return json.loads(done.stdout)
        if time.monotonic() > deadline:
            raise AssertionError(f"cargo lambda invoke {data_file.name} failed:\n{done.stdout}\n{done.stderr}")
        time.sleep(2)


def test_every_sample_event_works_through_cargo_lambda(emulator: Emulator, watch: int):
    # The S3 sample names an object in the lambda account's source bucket: put it there (the
    # sample's eTag is this body's MD5, so the function reads exactly the version the event names).
    emulator.client("s3", "lambda_root").put_object(
        Bucket=emulator.state["source_bucket"], Key="reports/2026/Q4 summary.csv", Body=b"q,total\n4,99\n",
        ContentType="text/csv")
    # The object the s3-via-*.json and s3-eventbridge.json samples name (unversioned: their eTag
    # is this body's MD5).
    emulator.client("s3", "lambda_root").put_object(
        Bucket=emulator.state["source_bucket"], Key="reports/2026/Q4 summary+final é.csv",
        Body=b"quarter,total\nQ4,1299.50\n", ContentType="text/csv")
    deadline = time.monotonic() + BUILD_TIMEOUT
    answers = {}
    for data_file in sorted(EVENTS.glob("*.json")):
        answers[data_file.name] = invoke(watch, data_file, deadline)
        deadline = time.monotonic() + INVOKE_TIMEOUT

    who = answers.pop("whoami.json")
    assert who["execution_identity"]["account"] == emulator.state["lambda_account_id"], who
    assert who["assumed_identity"]["account"] == emulator.state["bucket_account_id"], who
    preflight = answers.pop("preflight.json")
    assert preflight["ok"] is True, preflight
    assert [check["name"] for check in preflight["checks"]][:3] == [
        "execution_identity", "assume_role", "create_only_put"], preflight

    assert answers.pop("sqs.json") == {"batchItemFailures": []}
    for name in ("s3-via-sqs.json", "s3-via-sns-sqs.json"):  # S3 notifications in SQS messages
        assert answers.pop(name) == {"batchItemFailures": []}, name
    partial = answers.pop("sqs-partial-failure.json")
    assert partial == {"batchItemFailures": [{"itemIdentifier": "8f6a2b1c-2222-4a4a-9b9b-000000000002"}]}
    for name in ("kinesis.json", "kinesis-kpl-aggregated.json", "dynamodb.json"):  # streams: only failed sequence numbers
        assert answers.pop(name) == {"batchItemFailures": []}, name
    # The CloudWatch Logs sample's delivery (and a control message) as Kinesis record data.
    assert answers.pop("kinesis-cloudwatch-logs.json") == {"batchItemFailures": []}

    for name in ("apigw-http-v2.json", "apigw-rest-v1.json", "function-url.json"):
        response = answers.pop(name)
        assert response["statusCode"] in (200, 201), (name, response)
    for name in ("alb.json", "alb-multi-value.json"):  # ALB's own shape
        response = answers.pop(name)
        assert response["statusDescription"] in ("200 OK", "201 Created"), (name, response)
    for name in ("direct.json", "direct-batch.json"):
        summary = answers.pop(name)
        assert summary["failed"] == 0, (name, summary)
    for name in ("s3-batch-operations-1.0.json", "s3-batch-operations-2.0.json"):
        # A result per task, never a function error; the objects the samples name are not in
        # the emulated source bucket, so each task fails permanently, with its reason.
        answer = answers.pop(name)
        assert answer["treatMissingKeysAs"] == "PermanentFailure", (name, answer)
        assert [r["resultCode"] for r in answer["results"]] == ["PermanentFailure"], (name, answer)
        assert "reading the source object" in answer["results"][0]["resultString"], (name, answer)
    for name, summary in answers.items():  # SNS, EventBridge, S3, SES, Kafka: a summary, no error
        assert summary["written"], (name, summary)
        assert all(w["status"] in ("created", "already_existed") for w in summary["written"]), (name, summary)

    keys = {o["Key"] for o in emulator.client("s3", "bucket_root").list_objects_v2(
        Bucket=emulator.state["bucket"], Prefix="incoming/")["Contents"]}
    for expected in ("incoming/s3/writer-source-111111111111/reports/2026/Q4 summary.csv",
                     # The four S3 paths' samples name one object: one key.
                     "incoming/s3/writer-source-111111111111/reports/2026/Q4 summary+final é.csv",
                     "incoming/events/demo.orders/OrderPlaced/6a7e8feb-b491-4cf7-a9f1-bf3703467718",
                     "incoming/manual/hello.json",
                     # A KPL user record (events/kinesis-kpl-aggregated.json): its own object.
                     "incoming/kinesis/writer-stream/shardId-000000000003/"
                     "49590338271490256608559692540925702759324208523137515700/2"):
        assert expected in keys, sorted(keys)
