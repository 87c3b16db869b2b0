#!/usr/bin/env python3
"""The whole story in one run: two emulated accounts, the function deployed with every trigger,
each trigger driven for real, the objects read back from the bucket account, a failing
asynchronous event kept in the failure queue, a refusal, and the preflight: passing, then
failing on a deliberately broken piece with the fix it names.

    python scripts/demo.py [--function-zip target/lambda/cross-account-s3-writer/bootstrap.zip] [--keep]

Exits non-zero if any step did not do what it printed. Everything started is stopped and
deleted at the end (also on Ctrl-C or an error) unless --keep is given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from emulator import REPO_ROOT, Emulator, EmulatorError
import scenario

DEFAULT_ZIP = REPO_ROOT / "target" / "lambda" / "cross-account-s3-writer" / "bootstrap.zip"
WRONG_EXTERNAL_ID = "not-the-agreed-external-id"


class Step:
    """Prints ``==> title`` and times it; the demo's output is a sequence of these."""

    number = 0

    def __init__(self, title: str):
        Step.number += 1
        self.title = title
        print(f"\n==> {Step.number}. {title}", flush=True)
        self.started = time.monotonic()

    def done(self, note: str = "") -> None:
        print(f"    ok ({time.monotonic() - self.started:.1f}s){' - ' + note if note else ''}", flush=True)


class Dots:
    """Progress dots while polling, on one indented line that is closed afterwards."""

    def __init__(self):
        self.count = 0

    def __call__(self) -> None:
        print("    ." if self.count == 0 else ".", end="", flush=True)
        self.count += 1

    def close(self) -> None:
        if self.count:
            print()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise scenario.ScenarioError(message)


def shorten(message: str, limit: int = 700) -> str:
    """The readable head of an error (SDK errors end in a long debug dump)."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit] + " [...]"


def print_wrapped(message: str, indent: str = "      ") -> None:
    """An error message, shortened and wrapped at spaces (ARNs and keys are not split at hyphens)."""
    print(textwrap.indent(textwrap.fill(shorten(message), width=100, break_on_hyphens=False,
                                        break_long_words=False), indent))


def print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    widths = [max(len(title), *(len(str(row[name])) for row in rows)) for name, title in columns]
    print("    " + "  ".join(title.ljust(width) for (_, title), width in zip(columns, widths)))
    print("    " + "  ".join("-" * width for width in widths))
    for row in rows:
        print("    " + "  ".join(str(row[name]).ljust(width) for (name, _), width in zip(columns, widths)))


def run(emu: Emulator, zip_path: Path) -> None:
    step = Step("Two emulated accounts, provisioned from the modules' policy templates")
    emu.start()
    emu.provision()
    state = emu.state
    print(f"    emulator        {state['endpoint']} (ministack, AUTH=true, TLS)")
    print(f"    lambda account  {state['lambda_account_id']}  execution role {state['execution_role_arn']}")
    print(f"    bucket account  {state['bucket_account_id']}  target role    {state['target_role_arn']}")
    print(f"                                       bucket         s3://{state['bucket']}/{state['key_prefix']}")
    print(f"    ExternalId      {state['external_id']} (random per run)")
    step.done()

    step = Step(f"Deploying {zip_path.name} with SQS, SNS, EventBridge, S3, Function URL, Kinesis and "
                f"DynamoDB Streams triggers")
    function = emu.deploy_function(zip_path)
    print(f"    function        {function['arn']}")
    print(f"    url             {function['url']} (AuthType AWS_IAM)")
    print(f"    async failures  {function['failure_queue_arn']} "
          f"(after {function['async_max_retry_attempts']} retry)")
    step.done()

    step = Step("Driving every trigger")
    fired = scenario.fire_all(emu, step=lambda what: print(f"    -> {what}", flush=True))
    step.done()

    step = Step(f"Waiting for {len(fired.expected)} objects in the bucket account")
    dots = Dots()
    try:
        scenario.wait_for_objects(emu, [e.key for e in fired.expected], timeout=90, progress=dots)
    finally:
        dots.close()
    for expected in fired.expected:
        if expected.body is not None:
            check(scenario.object_body(emu, expected.key) == expected.body,
                  f"{expected.key} does not hold what the {expected.trigger} trigger sent")
    step.done("every body matches what was sent")

    step = Step("Objects in the bucket account (listed as the bucket account)")
    by_key = {e.key: e.trigger for e in fired.expected}
    rows = [{**row, "trigger": by_key.get(row["key"], "")} for row in scenario.object_table(emu)]
    print_table(rows, [("key", "key"), ("size", "size"), ("owner", "owner account"),
                       ("content_type", "content type"), ("trigger", "trigger")])
    print("    (owner: as ListObjectsV2 FetchOwner reports it. The emulator reports the requester there;")
    print("     what makes the bucket account the owner on AWS is the bucket's BucketOwnerEnforced")
    print("     setting and the writes being made by its own role, both checked by the tests)")
    step.done()

    step = Step("A Kinesis record, written through the event source mapping")
    record = next(e for e in fired.expected if e.trigger == "kinesis")
    metadata = emu.client("s3", "bucket_root").head_object(Bucket=state["bucket"], Key=record.key)["Metadata"]
    print(f"    PutRecords {record.body!r} -> {state['kinesis_stream_name']} {record.source_id}")
    print(f"    s3://{state['bucket']}/{record.key}")
    print("    metadata   " + "  ".join(f"{name}={metadata[name]}" for name in ("source", "source-id", "event-time")))
    step.done("the data byte for byte, keyed by shard and sequence number")

    step = Step("CloudWatch Logs: a subscription filter on a log group delivers to the function")
    delivery = scenario.log_through_subscription(emu)
    print(f"    PutLogEvents {len(delivery.sent)} events -> {delivery.group} (filter -> the function)")
    (key,) = scenario.wait_for_deliveries(emu, delivery.group, 1, timeout=60)
    lines = scenario.object_body(emu, key).decode().splitlines()
    print(f"    s3://{state['bucket']}/{key}")
    for line in lines:
        print(f"    {shorten(line, 110)}")
    check([json.loads(line)["message"] for line in lines] == [e["message"] for e in delivery.sent],
          f"{key} does not hold the log events that were put")
    step.done("one NDJSON object per delivery, a line per log event, keyed by its event IDs")

    step = Step("An S3 notification through SQS: the object it names is copied, as a direct one is")
    queued = scenario.copy_through_queue(emu)
    print(f"    PutObject {queued.source_key!r} -> notification -> {queued.queue_name} -> the function")
    scenario.wait_for_objects(emu, [queued.target_key], timeout=60)
    check(scenario.object_body(emu, queued.target_key) == queued.body,
          f"{queued.target_key} does not hold the source object")
    print(f"    s3://{state['bucket']}/{queued.target_key}")
    step.done("the key URL-decoded from the notification, the bytes the source holds")

    step = Step('Who did the writing ({"action": "whoami"})')
    whoami = fired.whoami
    execution, assumed = whoami.get("execution_identity", {}), whoami.get("assumed_identity", {})
    print(f"    execution identity  {execution.get('arn')}  (account {execution.get('account')})")
    print(f"    assumed identity    {assumed.get('arn')}  (account {assumed.get('account')})")
    check(execution.get("account") == state["lambda_account_id"] and assumed.get("account") == state["bucket_account_id"],
          f"whoami does not show the cross-account chain: {whoami}")
    step.done()

    step = Step("The malformed SQS message: retried, then dead-lettered; its batch-mates written once")
    dots = Dots()
    try:
        letter = scenario.wait_for_dead_letter(emu, fired.malformed_message_id, timeout=60, progress=dots)
    finally:
        dots.close()
    print(f"    in {function['dlq_url'].rsplit('/', 1)[-1]}: message {letter['MessageId']} "
          f"(received {letter['Attributes'].get('ApproximateReceiveCount', '?')} times), body {letter['Body']!r}")
    for expected in (e for e in fired.expected if e.trigger == "sqs"):
        check(scenario.version_count(emu, expected.key) == 1, f"{expected.key} was written more than once")
    step.done()

    step = Step("A failing async event lands in the failure queue")
    failing = scenario.drop_conflicting_source_object(emu)
    print(f"    -> the bucket account put its own object at {failing.destination_key}")
    print(f"    -> the lambda account dropped {failing.source_key}: every copy attempt meets that object")
    dots = Dots()
    try:
        letter = scenario.wait_for_failure_letter(emu, failing, timeout=30, progress=dots)
    finally:
        dots.close()
        scenario.clean_up_failing_event(emu, failing)
    record = letter["record"]
    objects = scenario.s3_objects_of(record["requestPayload"])
    error = record.get("responsePayload", {}).get("errorMessage", "")
    print(f"    in {function['failure_queue_url'].rsplit('/', 1)[-1]}: {record['requestContext']['condition']}, "
          f"functionError {record['responseContext'].get('functionError')}, requestPayload: S3 event for {objects}")
    print("    the function's error:")
    print_wrapped(error)
    check(objects == [(failing.source_bucket, failing.source_key)] and "already holds another record" in error,
          f"the failure queue holds something else: {record}")
    step.done("the event is kept with its error; the bucket account's object was left alone")

    step = Step("A refusal: the function configured with the wrong ExternalId")
    emu.update_function_environment({"TARGET_EXTERNAL_ID": WRONG_EXTERNAL_ID})
    try:
        answer, error = emu.invoke({"body": "this must not be written"})
    finally:
        emu.update_function_environment({"TARGET_EXTERNAL_ID": state["external_id"]})
    message = scenario.failure_message(answer, error)
    print("    the function answered:")
    print_wrapped(message)
    check("AccessDenied" in message and "ExternalId" in message and state["target_role_arn"] in message,
          f"the refusal is not the actionable AccessDenied error: {answer}")
    step.done("refused, and the error names the roles and the ExternalId")

    step = Step('Before the first event: {"action": "preflight"} proves the whole write path')
    answer = scenario.preflight(emu)
    print_preflight(answer)
    statuses = scenario.preflight_statuses(answer)
    # ministack does not evaluate s3:if-none-match: the conditional-write deny is never in
    # effect here, so that check is a warning (on AWS the deployed bucket policy refuses).
    check(answer["ok"] and statuses.pop("unconditional_put_refused") == "warning"
          and all(status in ("ok", "skipped") for status in statuses.values()),
          f"the preflight does not pass on the healthy setup: {answer}")
    step.done(f"canary {answer['canary_key']}")

    read = "HeadOwnObjectsForIdentityChecksAndBeforeOverwrite"
    step = Step(f"A broken piece: the target role's policy put back without {read}")
    emu.put_target_write_policy(without=[read])
    try:
        broken = scenario.preflight(emu)
    finally:
        emu.put_target_write_policy()
    print_preflight(broken)
    failed = [c for c in broken["checks"] if c["status"] == "failed"]
    check(not broken["ok"] and [c["name"] for c in failed] == ["identity_check_head"]
          and failed[0].get("statement") == read,
          f"the preflight does not name the missing read: {broken}")
    head = failed[0]
    print(f"    failed: {head['name']} ({head.get('code')})")
    print(f"    fix in account {head['account']}: statement {head['statement']}")
    print(f"      of {head['policy']}")
    print(f"      rendered by {head['resource']}")
    print_wrapped(head["fix"])
    restored = scenario.preflight(emu)
    check(restored["ok"], f"the preflight does not pass once the policy is restored: {restored}")
    step.done("restored: the preflight passes again")


def print_preflight(answer: dict) -> None:
    """One line per check: its status and what it found (shortened)."""
    print(f"    ok: {str(answer['ok']).lower()}")
    for item in answer["checks"]:
        print(f"    {item['status']:<8} {item['name']:<26} {shorten(item['detail'], 90)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--function-zip", type=Path, default=DEFAULT_ZIP,
                        help=f"the function's bootstrap.zip, a host build (default: {DEFAULT_ZIP})")
    parser.add_argument("--keep", action="store_true", help="leave the emulator running at the end")
    parser.add_argument("--state", type=Path, help="state directory (default: a new temporary one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.function_zip.is_file():
        print(f"demo: no function zip at {args.function_zip}; build it first:\n"
              f"  cargo lambda build --release --output-format zip", file=sys.stderr)
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    state_dir = args.state or Path(tempfile.mkdtemp(prefix="cross-account-demo-"))
    emu = Emulator(state_dir)
    started, ok = time.monotonic(), False
    try:
        run(emu, args.function_zip)
        ok = True
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
    except (EmulatorError, ClientError, BotoCoreError) as failure:
        print(f"\ndemo: FAILED: {failure}", file=sys.stderr)
        if emu.state.get("log"):
            print(f"demo: ministack log: {emu.state['log']}", file=sys.stderr)
    finally:
        if args.keep and emu.state:
            emu.process = None  # leave it running
            print_kept(emu)
        else:
            emu.stop()
            if not args.state:
                shutil.rmtree(state_dir, ignore_errors=True)
    print(f"\ndemo {'done' if ok else 'FAILED'} in {time.monotonic() - started:.0f}s")
    return 0 if ok else 1


def interrupt(*_) -> None:
    """Ctrl-C, and SIGTERM (e.g. a CI timeout), stop the demo and clean up (even when started
    in the background, where the shell would have SIGINT ignored)."""
    raise KeyboardInterrupt


def print_kept(emu: Emulator) -> None:
    state = emu.state
    print("\nThe emulator keeps running:")
    print(f"  endpoint     {state['endpoint']}   (CA certificate: {state['ca_bundle']})")
    for name in ("lambda_root", "bucket_root"):
        creds = state[name]
        print(f"  {name:<12} AWS_ACCESS_KEY_ID={creds['access_key_id']} AWS_SECRET_ACCESS_KEY={creds['secret_access_key']}")
    print(f"  look around  AWS_ACCESS_KEY_ID={state['bucket_root']['access_key_id']} AWS_SECRET_ACCESS_KEY=x "
          f"AWS_CA_BUNDLE={state['ca_bundle']} aws --endpoint-url {state['endpoint']} "
          f"s3 ls s3://{state['bucket']}/ --recursive")
    print(f"  state        {emu.state_path}")
    print(f"  local run    python scripts/emulator.py env --state {emu.state_dir} > .env.emulator")
    print(f"  stop it      python scripts/emulator.py down --state {emu.state_dir}")


if __name__ == "__main__":
    sys.exit(main())
