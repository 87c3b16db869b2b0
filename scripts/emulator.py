#!/usr/bin/env python3
"""Two emulated AWS accounts (ministack) wired exactly like the Terraform deployment.

Why this exists: the function's whole point is a cross-account trust chain (execution role in
the *lambda account* -> AssumeRole with ExternalId -> target role in the *bucket account* ->
PutObject under a prefix, gated by a bucket policy). ministack with ``AUTH=true`` enforces
SigV4, identity policies, trust policies (including ``sts:ExternalId``) and bucket-policy
denies, so the chain can be exercised locally with the very policy documents Terraform
deploys (``infra/modules/*/policies/*.json.tftpl``, rendered here with ``string.Template``).

CLI (state lives in ``DIR/emulator.json``)::

    python scripts/emulator.py up   --state DIR [--kms] [--function-zip PATH] [--function-env K=V ...]
    python scripts/emulator.py env  --state DIR [--format dotenv|shell|json]
    python scripts/emulator.py target-policy --state DIR [--without SID ...] [--without-kms]
    python scripts/emulator.py down --state DIR

Python API (demo and pytest)::

    with Emulator(state_dir) as emu:          # start + provision, stop on exit
        emu.deploy_function(zip_path)         # optional
        s3 = emu.client("s3", "bucket_root")

The gateway speaks HTTPS with a per-run self-signed certificate (``ca_bundle`` in the state):
the bucket policy denies ``aws:SecureTransport = false`` and ministack evaluates that key from
the real transport, so over plain HTTP every write of the function would be refused.
Only boto3 and the standard library are used.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Iterable

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
# Each Terraform module keeps its own policy documents (a copied module folder is complete);
# the emulator renders the very same files.
POLICY_DIRS = (REPO_ROOT / "infra" / "modules" / "writer-function" / "policies",
               REPO_ROOT / "infra" / "modules" / "target-bucket" / "policies")
STATE_FILE = "emulator.json"

REGION = "us-east-1"
PARTITION = "aws"
LAMBDA_ACCOUNT = "111111111111"
BUCKET_ACCOUNT = "222222222222"
# ministack treats a 12-digit access key id as that account's root; the secret is not checked.
ROOT_SECRET = "emulator-root-secret"

EXECUTION_ROLE = "writer-exec"
NO_ASSUME_ROLE = "writer-exec-no-assume"
TARGET_ROLE = "writer-target"
TARGET_BUCKET = f"writer-target-{BUCKET_ACCOUNT}"
SOURCE_BUCKET = f"writer-source-{LAMBDA_ACCOUNT}"
KEY_PREFIX = "incoming/"
# The target-bucket module's default noncurrent_version_expiration_days.
NONCURRENT_VERSION_EXPIRATION_DAYS = 30
FUNCTION_NAME = "cross-account-s3-writer"
LOG_GROUP_ARN = f"arn:{PARTITION}:logs:{REGION}:{LAMBDA_ACCOUNT}:log-group:/aws/lambda/{FUNCTION_NAME}"

QUEUE_NAME = "writer-queue"
QUEUE_ARN = f"arn:{PARTITION}:sqs:{REGION}:{LAMBDA_ACCOUNT}:{QUEUE_NAME}"
DLQ_NAME = "writer-dlq"
TOPIC_NAME = "writer-topic"
EVENT_BUS = "default"
RULE_NAME = "writer-demo-orders"
EVENT_PATTERN = {"source": ["demo.orders"]}
# Redelivery should be quick in tests, yet the visibility timeout must outlast the processing of
# a batch: a message that becomes visible while its batch is still running is received again,
# the first delete then misses (stale receipt handle) and a message that was written ends up
# redelivered and dead-lettered -- real SQS behaves the same, which is why AWS refuses a mapping
# whose queue visibility timeout is below the function timeout (and recommends 6x). ministack
# does not check that; Terraform sets the production value. 8 s covers a cold start with margin,
# and dead-letters a failing message after about MAX_RECEIVE_COUNT * 8 s.
QUEUE_VISIBILITY_SECONDS = 8
MAX_RECEIVE_COUNT = 2

# Asynchronous invocations (S3 notifications, SNS, EventBridge, InvocationType=Event) that fail
# every attempt go to this queue (PutFunctionEventInvokeConfig, DestinationConfig.OnFailure),
# with the original event as `requestPayload`. AWS defaults are 2 retries, about 1 then 2
# minutes apart, and an event age of 6 h; ministack spaces retries
# LAMBDA_ASYNC_RETRY_BASE_SECONDS * 2**(n-1) apart (1 s, 2 s, ..., at most 30 s), so one retry
# here costs a second and still shows the retry. Terraform sets the production values.
FAILURE_QUEUE_NAME = "writer-failures"
FAILURE_QUEUE_ARN = f"arn:{PARTITION}:sqs:{REGION}:{LAMBDA_ACCOUNT}:{FAILURE_QUEUE_NAME}"
ASYNC_MAX_RETRY_ATTEMPTS = 1
ASYNC_MAX_EVENT_AGE_SECONDS = 60  # the smallest value AWS accepts

# Stream triggers, as the writer-function module wires kinesis_stream_arn / dynamodb_stream_arn:
# TRIM_HORIZON, ReportBatchItemFailures, bisect on function error, bounded retries and record
# age, the failure queue as on-failure destination. The bounds are the module's defaults made
# small (AWS's smallest record age is 60 s). ministack 1.5.33 honours less of this than AWS: its
# pollers treat a batchItemFailures answer as complete success (the batch is checkpointed past,
# nothing is retried or sent anywhere), and a function *error* is retried about once a second
# without MaximumRetryAttempts or bisecting -- forever for Kinesis; for DynamoDB until the batch
# is older than MaximumRecordAgeInSeconds, then a DDBStreamBatchInfo record goes to OnFailure.
STREAM_NAME = "writer-stream"
TABLE_NAME = "writer-table"
STREAM_BATCH_SIZE = 100
STREAM_MAX_RETRY_ATTEMPTS = 2
STREAM_MAX_RECORD_AGE_SECONDS = 60

# Helper functions that hand out the credentials Lambda gives a function running as a role.
CREDENTIALS_VENDORS = {
    EXECUTION_ROLE: "writer-exec-credentials",
    NO_ASSUME_ROLE: "writer-exec-no-assume-credentials",
}
_VENDOR_SOURCE = '''\
"""Return the credentials Lambda injected: a session of this function's execution role."""
import os


def handler(event, context):
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    return {name: os.environ[name] for name in names}
'''

HEALTH_PATH = "/_ministack/health"
START_TIMEOUT_SECONDS = 60.0
# ministack exits on SIGTERM only once its open keep-alive connections and busy threads let it,
# which can take many seconds; it keeps no state worth a graceful exit, so SIGKILL follows soon.
STOP_TIMEOUT_SECONDS = 3.0
# Function bootstraps are ministack's children and outlive it by ~1.5 s after SIGTERM.
CHILD_GRACE_SECONDS = 2.5


class EmulatorError(RuntimeError):
    """Anything that keeps the emulator from being what it claims to be."""


# --------------------------------------------------------------------------------------------
# Policy documents: the same files Terraform renders with templatefile().
# --------------------------------------------------------------------------------------------

def render_policy(name: str, **values: str) -> dict:
    """Render ``infra/modules/*/policies/<name>.json.tftpl``; a missing placeholder is an error."""
    found = [d / f"{name}.json.tftpl" for d in POLICY_DIRS if (d / f"{name}.json.tftpl").exists()]
    if len(found) != 1:
        raise EmulatorError(f"policy template {name!r}: expected in exactly one of {[str(d) for d in POLICY_DIRS]}")
    path = found[0]
    try:
        text = string.Template(path.read_text()).substitute(values)
    except KeyError as missing:
        raise EmulatorError(f"{path}: no value for placeholder ${{{missing.args[0]}}}") from None
    except ValueError as bad:
        raise EmulatorError(f"{path}: {bad}") from None
    return json.loads(text)


def combine_policies(base: dict, *optional: dict) -> dict:
    """Append the ``Statement`` lists of optional documents to ``base`` (as Terraform does)."""
    combined = json.loads(json.dumps(base))
    for extra in optional:
        combined["Statement"].extend(extra["Statement"])
    return combined


def role_arn(account: str, name: str) -> str:
    return f"arn:{PARTITION}:iam::{account}:role/{name}"


def prefix_writers_policy(bucket_arn: str, target_role_arn: str) -> dict:
    """``bucket-policy-prefix-writers`` as the module deploys it for a bucket it creates: under the
    prefix only the target role writes (``aws:PrincipalArn``).

    ministack 1.5.33 evaluates ``aws:PrincipalArn`` in bucket policies, but for an assumed role it
    compares the *session* ARN (``arn:aws:sts::B:assumed-role/<role>/<session>``) where AWS puts
    the role's ARN. The exception list therefore also names the target role's sessions here (a
    value no AWS request context carries for this key, so it grants nothing there); without it
    ministack would refuse the target role itself. Its account root bypasses bucket policies
    entirely (AWS applies an explicit deny to the root user too).
    """
    policy = render_policy("bucket-policy-prefix-writers", bucket_arn=bucket_arn, key_prefix=KEY_PREFIX,
                           target_role_arn=target_role_arn)
    session_arns = target_role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/*"
    for statement in policy["Statement"]:
        statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = [target_role_arn, session_arns]
    return policy


# --------------------------------------------------------------------------------------------
# The ministack process
# --------------------------------------------------------------------------------------------

def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ministack_command() -> list[str]:
    """The ministack installed next to this interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).parent / "ministack"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ministack")
    if found:
        return [found]
    return [sys.executable, "-m", "ministack"]


def make_tls_material(directory: Path) -> tuple[Path, Path]:
    """A self-signed leaf for 127.0.0.1 (not a CA: rustls refuses a CA cert served as leaf)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
             "-keyout", str(key), "-out", str(cert), "-subj", "/CN=ministack-local",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise EmulatorError("openssl is needed to make the emulator's TLS certificate") from None
    except subprocess.CalledProcessError as failed:
        raise EmulatorError(f"openssl failed: {failed.stderr.strip()}") from None
    return cert, key


def ministack_environment(port: int, run_dir: Path, cert: Path, key: Path) -> dict[str, str]:
    """A clean environment: none of the caller's AWS_* settings leak into the emulated functions.

    Functions inherit ministack's environment, so AWS_ENDPOINT_URL must point here (else they
    would call real AWS) and SSL_CERT_FILE/AWS_CA_BUNDLE must name the gateway's certificate
    (rustls-native-certs and botocore read them).
    """
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL") if name in os.environ}
    endpoint = f"https://127.0.0.1:{port}"
    env.update({
        "AUTH": "true",
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "AWS_ENDPOINT_URL": endpoint,
        "TMPDIR": str(run_dir),
        "S3_DATA_DIR": str(run_dir / "s3"),
        "USE_SSL": "1",
        "MINISTACK_SSL_CERT": str(cert),
        "MINISTACK_SSL_KEY": str(key),
        "SSL_CERT_FILE": str(cert),
        "AWS_CA_BUNDLE": str(cert),
        # CloudTrail-like audit of every API call (LookupEvents): how tests count AssumeRole.
        "CLOUDTRAIL_RECORDING": "1",
    })
    return env


def log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until_healthy(endpoint: str, ca_bundle: Path, process: subprocess.Popen, log_path: Path,
                       timeout: float = START_TIMEOUT_SECONDS) -> None:
    context = ssl.create_default_context(cafile=str(ca_bundle))
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(
                f"ministack exited with code {process.returncode} during start-up; log tail "
                f"({log_path}):\n{log_tail(log_path)}")
        try:
            with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=2, context=context) as answer:
                if answer.status == 200:
                    return
                last_error = f"HTTP {answer.status}"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(error)
        time.sleep(0.2)
    raise EmulatorError(
        f"ministack did not answer {endpoint}{HEALTH_PATH} within {timeout:.0f}s "
        f"(last: {last_error}); log tail ({log_path}):\n{log_tail(log_path)}")


def _process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


def _is_ministack(pid: int) -> bool:
    """Guard against a recycled PID: only ever signal a process that is ministack."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"ministack" in cmdline.read()
    except OSError:
        return False


def _group_members(pgid: int, marker: str) -> list[int]:
    """Live processes of group ``pgid`` whose command line names ``marker`` (the run dir).

    Function processes (bootstraps, Python workers) run from files under the run dir, so the
    marker tells them from anything else that might share a recycled group id.
    """
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, _ppid, group = stat.read().rsplit(")", 1)[1].split()[:3]
            if int(group) != pgid or state == "Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    members.append(int(entry))
        except (OSError, ValueError):
            continue
    return members


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_process_group(pid: int, run_dir: str, process: subprocess.Popen | None = None) -> bool:
    """Stop ministack (SIGTERM, then SIGKILL) and the function processes it leaves behind.

    Never fails when everything is already gone, and only signals processes that are this
    ministack (checked by command line, against PID reuse) or run from its run dir.
    Returns whether ministack was found (and stopped).
    """
    found = process is not None or (_is_ministack(pid) and _process_alive(pid))
    if found:
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: the group is ministack and its children
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while (process.poll() is None) if process is not None else _process_alive(pid):
            if time.monotonic() > deadline:
                _signal(pid, signal.SIGKILL)
                break
            time.sleep(0.1)
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    # Function bootstraps are ministack's children and outlive it by ~1.5 s after SIGTERM.
    deadline = time.monotonic() + CHILD_GRACE_SECONDS
    while _group_members(pid, run_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    for member in _group_members(pid, run_dir):
        _signal(member, signal.SIGKILL)
    return found


def endpoint_answers(endpoint: str, ca_bundle: str) -> bool:
    """Whether a ministack still answers at ``endpoint``."""
    try:
        context = ssl.create_default_context(cafile=ca_bundle)
    except OSError:
        context = ssl._create_unverified_context()  # the certificate is gone with the run dir
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=2, context=context):
            return True
    except (urllib.error.URLError, OSError):
        return False


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------

def _root(account: str) -> dict:
    return {"access_key_id": account, "secret_access_key": ROOT_SECRET}


def _session(credentials: dict) -> dict:
    """boto3/STS credential shapes -> the emulator.json shape."""
    if "AccessKeyId" in credentials:
        return {"access_key_id": credentials["AccessKeyId"],
                "secret_access_key": credentials["SecretAccessKey"],
                "session_token": credentials["SessionToken"]}
    return {"access_key_id": credentials["AWS_ACCESS_KEY_ID"],
            "secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
            "session_token": credentials["AWS_SESSION_TOKEN"]}


class Emulator:
    """One ministack process with the lambda account and the bucket account provisioned.

    ``start()`` + ``provision()`` (or ``with Emulator(dir) as emu``) brings it up; ``attach(dir)``
    reuses one a CLI ``up`` left running; ``stop()`` tears it down and deletes the run dir.
    """

    def __init__(self, state_dir: str | os.PathLike, kms: bool = False):
        self.state_dir = Path(state_dir).resolve()
        self.kms = kms
        self.state: dict[str, Any] = {}
        self.process: subprocess.Popen | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def attach(cls, state_dir: str | os.PathLike) -> "Emulator":
        """An Emulator for the state a previous ``up`` wrote."""
        emulator = cls(state_dir)
        path = emulator.state_path
        if not path.exists():
            raise EmulatorError(f"no emulator state at {path}: run `emulator.py up --state {state_dir}`")
        emulator.state = json.loads(path.read_text())
        emulator.kms = emulator.state.get("kms_key_arn") is not None
        return emulator

    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE

    def __enter__(self) -> "Emulator":
        if self.state:  # attached to a running emulator: use it (and stop it on exit)
            return self
        try:
            self.start()
            self.provision()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        """Start ministack in its own session on a free loopback port, in a fresh run dir."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.state_path.exists():
            previous = json.loads(self.state_path.read_text())
            if previous.get("pid") and _is_ministack(previous["pid"]) and _process_alive(previous["pid"]):
                raise EmulatorError(
                    f"an emulator from {self.state_path} is still running (pid {previous['pid']}); "
                    f"stop it with `emulator.py down --state {self.state_dir}`")
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.state_dir))
        cert, key = make_tls_material(run_dir / "tls")
        (run_dir / "s3").mkdir()
        log_path = run_dir / "ministack.log"
        for attempt in range(3):
            port = free_loopback_port()
            endpoint = f"https://127.0.0.1:{port}"
            with open(log_path, "ab") as log:
                self.process = subprocess.Popen(
                    ministack_command(), env=ministack_environment(port, run_dir, cert, key),
                    cwd=run_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            try:
                wait_until_healthy(endpoint, cert, self.process, log_path)
                break
            except EmulatorError:
                stop_process_group(self.process.pid, str(run_dir), self.process)
                # Another process may have taken the port between probe and bind: try another.
                if attempt == 2 or "address already in use" not in log_tail(log_path).lower():
                    shutil.rmtree(run_dir, ignore_errors=True)
                    raise
        self.state = {
            "endpoint": endpoint,
            "region": REGION,
            "ca_bundle": str(cert),
            "lambda_account_id": LAMBDA_ACCOUNT,
            "bucket_account_id": BUCKET_ACCOUNT,
            "lambda_root": _root(LAMBDA_ACCOUNT),
            "bucket_root": _root(BUCKET_ACCOUNT),
            "pid": self.process.pid,
            "run_dir": str(run_dir),
            "log": str(log_path),
            "kms_key_arn": None,
        }
        self.save()

    def stop(self) -> None:
        """Stop ministack and its functions, delete the run dir and the state. Idempotent."""
        pid, run_dir = self.state.get("pid"), self.state.get("run_dir")
        if pid and run_dir and not stop_process_group(pid, run_dir, self.process):
            endpoint = self.state.get("endpoint", "")
            if endpoint and endpoint_answers(endpoint, self.state.get("ca_bundle", "")):
                # Keep the state: deleting it would orphan a ministack nobody could find again.
                raise EmulatorError(
                    f"ministack still answers at {endpoint} but pid {pid} is not visible from here "
                    f"(another PID namespace?); stop it from where it was started")
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)
        if self.state and self.state_path.exists():
            try:
                if json.loads(self.state_path.read_text()).get("pid") == pid:
                    self.state_path.unlink()
            except (OSError, ValueError):
                pass
        self.process = None
        self.state = {}

    def save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2) + "\n")
        tmp.replace(self.state_path)

    # -- clients ---------------------------------------------------------------------------

    def credentials(self, identity: str | dict) -> dict:
        """``lambda_root``, ``bucket_root``, ``execution``, ``no_assume`` or a credentials dict."""
        if isinstance(identity, dict):
            return identity
        key = {"execution": "execution_credentials", "no_assume": "no_assume_credentials"}.get(identity, identity)
        if key not in self.state:
            raise EmulatorError(f"unknown identity {identity!r}")
        return self.state[key]

    def client(self, service: str, identity: str | dict = "lambda_root", **config: Any):
        """A boto3 client for ``service`` acting as ``identity`` against the emulator."""
        creds = self.credentials(identity)
        options = {"retries": {"mode": "standard", "max_attempts": 2},
                   "connect_timeout": 5, "read_timeout": 60,
                   "s3": {"addressing_style": "path"}}
        options.update(config)
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.state["endpoint"],
            verify=self.state["ca_bundle"],
            aws_access_key_id=creds["access_key_id"],
            aws_secret_access_key=creds["secret_access_key"],
            aws_session_token=creds.get("session_token"),
            config=Config(**options))

    def assume_target(self, external_id: str | None = None, identity: str | dict = "execution",
                      session_name: str = "emulator-check") -> dict:
        """AssumeRole on the target role (default: the right ExternalId) -> credentials dict."""
        params = {"RoleArn": self.state["target_role_arn"], "RoleSessionName": session_name}
        external_id = self.state["external_id"] if external_id is None else external_id
        if external_id:
            params["ExternalId"] = external_id
        return _session(self.client("sts", identity).assume_role(**params)["Credentials"])

    # -- provisioning ----------------------------------------------------------------------

    def provision(self) -> None:
        """Both accounts, from the modules' policy templates, then the execution-role sessions."""
        execution_role_arn = role_arn(LAMBDA_ACCOUNT, EXECUTION_ROLE)
        no_assume_role_arn = role_arn(LAMBDA_ACCOUNT, NO_ASSUME_ROLE)
        target_role_arn = role_arn(BUCKET_ACCOUNT, TARGET_ROLE)
        external_id = "demo-" + secrets.token_hex(12)
        self.state.update({
            "execution_role_arn": execution_role_arn,
            "no_assume_role_arn": no_assume_role_arn,
            "target_role_arn": target_role_arn,
            "external_id": external_id,
            "bucket": TARGET_BUCKET,
            "key_prefix": KEY_PREFIX,
            "source_bucket": SOURCE_BUCKET,
        })
        self._provision_lambda_account(execution_role_arn, target_role_arn)
        self._provision_bucket_account(execution_role_arn, target_role_arn, external_id)
        self.state["execution_credentials"] = self._vend_credentials(EXECUTION_ROLE, execution_role_arn)
        self.state["no_assume_credentials"] = self._vend_credentials(NO_ASSUME_ROLE, no_assume_role_arn)
        self.save()

    def _provision_lambda_account(self, execution_role_arn: str, target_role_arn: str) -> None:
        iam = self.client("iam", "lambda_root")
        # The module's default trust: Lambda, for the writer function only (aws:SourceAccount and
        # aws:SourceArn). ministack does not evaluate the Lambda service's trust, so the small
        # credential-vendor functions (other names) can still run as these roles here.
        trust = render_policy("execution-trust-function", lambda_account_id=LAMBDA_ACCOUNT,
                              function_arn=f"arn:{PARTITION}:lambda:{REGION}:{LAMBDA_ACCOUNT}:function:{FUNCTION_NAME}")
        common = {
            "logs": render_policy("execution-logs", log_group_arn=LOG_GROUP_ARN),
            "read-source": render_policy("execution-read-source",
                                         source_bucket_arn=f"arn:{PARTITION}:s3:::{SOURCE_BUCKET}"),
            "consume-queue": render_policy("execution-consume-queue", queue_arn=QUEUE_ARN),
            # Lambda sends a failed asynchronous event to the OnFailure queue with the execution
            # role's permissions. (ministack delivers it without checking this grant.)
            "send-failures": render_policy("execution-send-failures", queue_arn=FAILURE_QUEUE_ARN),
            # Lambda's poller reads the trigger streams as the execution role; the module's names.
            **self._create_streams(),
        }
        roles = {
            EXECUTION_ROLE: {"assume-target": render_policy("execution-assume-target",
                                                            target_role_arn=target_role_arn), **common},
            # Same trust, no sts:AssumeRole grant: the negative test of the execution side.
            NO_ASSUME_ROLE: common,
        }
        for name, inline in roles.items():
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            for policy_name, document in inline.items():
                iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        # Versioned like a typical source bucket: its notifications then carry versionId, and the
        # function reads exactly that version (GetObject?versionId= is s3:GetObjectVersion, which
        # execution-read-source grants and ministack checks).
        source = self.client("s3", "lambda_root")
        source.create_bucket(Bucket=SOURCE_BUCKET)
        source.put_bucket_versioning(Bucket=SOURCE_BUCKET, VersioningConfiguration={"Status": "Enabled"})

    def _create_streams(self) -> dict:
        """The Kinesis stream and the DynamoDB table (with its stream) the stream triggers read,
        and the execution role's read grants on exactly them (the module's policy names)."""
        kinesis = self.client("kinesis", "lambda_root")
        kinesis.create_stream(StreamName=STREAM_NAME, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=STREAM_NAME, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        stream_arn = kinesis.describe_stream_summary(StreamName=STREAM_NAME)["StreamDescriptionSummary"]["StreamARN"]
        table = self.client("dynamodb", "lambda_root").create_table(
            TableName=TABLE_NAME, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
        self.state.update({"kinesis_stream_name": STREAM_NAME, "kinesis_stream_arn": stream_arn,
                           "dynamodb_table_name": TABLE_NAME, "dynamodb_table_arn": table["TableArn"],
                           "dynamodb_stream_arn": table["LatestStreamArn"]})
        return {
            "read-kinesis-trigger-stream": render_policy("execution-read-kinesis", stream_arn=stream_arn),
            "read-dynamodb-trigger-stream": render_policy("execution-read-dynamodb-stream",
                                                          stream_arn=table["LatestStreamArn"],
                                                          table_arn=table["TableArn"]),
        }

    def _provision_bucket_account(self, execution_role_arn: str, target_role_arn: str, external_id: str) -> None:
        iam = self.client("iam", "bucket_root")
        bucket_arn = f"arn:{PARTITION}:s3:::{TARGET_BUCKET}"
        iam.create_role(RoleName=TARGET_ROLE, AssumeRolePolicyDocument=json.dumps(
            render_policy("target-trust", execution_role_arn=execution_role_arn, external_id=external_id)))
        iam.put_role_policy(RoleName=TARGET_ROLE, PolicyName="target-write", PolicyDocument=json.dumps(
            render_policy("target-write", bucket_arn=bucket_arn, key_prefix=KEY_PREFIX)))

        kms_key_arn = None
        if self.kms:
            kms = self.client("kms", "bucket_root")
            # The module's key policy: the account's administration statement, then the target
            # role's (via S3 of the region, from the bucket account, for this bucket only).
            key_policy = combine_policies(
                render_policy("kms-key-policy", partition=PARTITION, bucket_account_id=BUCKET_ACCOUNT),
                render_policy("kms-key-policy-target-role", target_role_arn=target_role_arn, region=REGION,
                              bucket_account_id=BUCKET_ACCOUNT, bucket_arn=bucket_arn))
            kms_key_arn = kms.create_key(Policy=json.dumps(key_policy), Description="cross-account-s3-writer",
                                         KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
            iam.put_role_policy(RoleName=TARGET_ROLE, PolicyName="target-kms", PolicyDocument=json.dumps(
                render_policy("target-kms", kms_key_arn=kms_key_arn, region=REGION, bucket_arn=bucket_arn)))
        self.state["kms_key_arn"] = kms_key_arn

        s3 = self.client("s3", "bucket_root")
        s3.create_bucket(Bucket=TARGET_BUCKET)
        s3.put_bucket_ownership_controls(
            Bucket=TARGET_BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        s3.put_public_access_block(Bucket=TARGET_BUCKET, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        s3.put_bucket_versioning(Bucket=TARGET_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        if kms_key_arn:
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn}
        else:
            default = {"SSEAlgorithm": "AES256"}
        # ministack stores BucketKeyEnabled but does not report it on objects.
        s3.put_bucket_encryption(Bucket=TARGET_BUCKET, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(kms_key_arn)}]})
        s3.put_bucket_lifecycle_configuration(Bucket=TARGET_BUCKET, LifecycleConfiguration={"Rules": [
            {"ID": "abort-incomplete-multipart-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
             "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_EXPIRATION_DAYS}}]})
        # Deployed as in production, but not enforced here: DenyUnconditionalWritesUnderThePrefix
        # needs s3:if-none-match, s3:if-match and s3:ObjectCreationOperation, and ministack 1.5.33
        # puts none of them into the request context (iam_actions._s3_object_context). So the
        # statement is inert, not a blanket deny, and needs no exception here: its Bool on the
        # absent s3:ObjectCreationOperation never holds (an affirmative operator on a missing key
        # is false), so a PUT without If-None-Match/If-Match is accepted here and refused by AWS.
        # (Without that Bool the Null alone would hold for every request and refuse every PUT.)
        policy = render_policy("bucket-policy", bucket_arn=bucket_arn, key_prefix=KEY_PREFIX,
                               sse_algorithm="aws:kms" if kms_key_arn else "AES256")
        if kms_key_arn:
            # Deployed as in production, but not enforced here: ministack never puts
            # s3:x-amz-server-side-encryption-aws-kms-key-id into the request context, so the
            # statement's Null:false condition never holds (another key id is accepted).
            policy = combine_policies(policy, render_policy("bucket-policy-kms", bucket_arn=bucket_arn,
                                                            kms_key_arn=kms_key_arn))
        policy = combine_policies(policy, prefix_writers_policy(bucket_arn, target_role_arn))
        s3.put_bucket_policy(Bucket=TARGET_BUCKET, Policy=json.dumps(policy))

    def put_target_write_policy(self, without: Iterable[str] = ()) -> list[str]:
        """Put the target role's ``target-write`` policy back, rendered from the module's template,
        without the statements whose Sid is in ``without`` (deliberately broken setups: the
        preflight's tests and ``make demo``); no Sid restores it. Returns the Sids put."""
        without = set(without)
        bucket_arn = f"arn:{PARTITION}:s3:::{self.state['bucket']}"
        policy = render_policy("target-write", bucket_arn=bucket_arn, key_prefix=self.state["key_prefix"])
        known = {statement["Sid"] for statement in policy["Statement"]}
        if not without <= known:
            raise EmulatorError(f"target-write has no statement {sorted(without - known)}; it has {sorted(known)}")
        policy["Statement"] = [st for st in policy["Statement"] if st["Sid"] not in without]
        self.client("iam", "bucket_root").put_role_policy(
            RoleName=TARGET_ROLE, PolicyName="target-write", PolicyDocument=json.dumps(policy))
        return [statement["Sid"] for statement in policy["Statement"]]

    def _vend_credentials(self, role_name: str, expected_role_arn: str) -> dict:
        """A session of ``role_name`` as Lambda hands it to a function running as that role.

        The execution roles trust only ``lambda.amazonaws.com`` (aws:SourceAccount, aws:SourceArn), so no
        identity of ours may AssumeRole them -- ministack refuses the account root too. The honest
        way to a session is the one Lambda uses: a tiny function with that execution role,
        invoked once, returns the credentials it was given. ministack derives them from the
        function and role ARNs and never expires them.
        """
        function_name = CREDENTIALS_VENDORS[role_name]
        lam = self.client("lambda", "lambda_root")
        lam.create_function(
            FunctionName=function_name, Runtime="python3.11", Handler="index.handler",
            Role=expected_role_arn, Timeout=15, MemorySize=128,
            Description="emulator helper: returns the execution-role session Lambda injects",
            Code={"ZipFile": _zip_single_file("index.py", _VENDOR_SOURCE)})
        lam.get_waiter("function_active_v2").wait(FunctionName=function_name,
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        answer = lam.invoke(FunctionName=function_name, Payload=b"{}")
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError") or not isinstance(payload, dict):
            raise EmulatorError(f"credential helper {function_name} failed: {payload}")
        credentials = _session(payload)
        caller = self.client("sts", credentials).get_caller_identity()
        expected = f":assumed-role/{role_name}/"
        if expected not in caller["Arn"] or caller["Account"] != LAMBDA_ACCOUNT:
            raise EmulatorError(f"{function_name} returned a session of {caller['Arn']}, not of {role_name}")
        return credentials

    # -- environment for a local run -------------------------------------------------------

    def function_environment(self) -> dict[str, str]:
        """The deployed function's configuration (without the emulator plumbing)."""
        env = {
            "TARGET_ROLE_ARN": self.state["target_role_arn"],
            "TARGET_BUCKET": self.state["bucket"],
            "TARGET_EXTERNAL_ID": self.state["external_id"],
            "TARGET_BUCKET_OWNER": self.state["bucket_account_id"],
            "KEY_PREFIX": self.state["key_prefix"],
            "RUST_LOG": "info",
        }
        if self.state.get("kms_key_arn"):
            env["SSE_KMS_KEY_ARN"] = self.state["kms_key_arn"]
        return env

    def local_run_environment(self) -> dict[str, str]:
        """What ``cargo lambda watch --env-file`` needs to act as the deployed function."""
        creds = self.state["execution_credentials"]
        return {
            "AWS_ENDPOINT_URL": self.state["endpoint"],
            "AWS_REGION": self.state["region"],
            "AWS_ACCESS_KEY_ID": creds["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
            "AWS_SESSION_TOKEN": creds["session_token"],
            # The gateway's self-signed certificate: rustls-native-certs and botocore read these.
            "SSL_CERT_FILE": self.state["ca_bundle"],
            "AWS_CA_BUNDLE": self.state["ca_bundle"],
            **self.function_environment(),
        }

    # -- the function ----------------------------------------------------------------------

    def deploy_function(self, zip_path: str | os.PathLike, overrides: dict[str, str] | None = None) -> dict:
        """Deploy the function as Terraform's example does, with every trigger; returns ``function``.

        Lambda permissions are created with SourceArn (and SourceAccount for S3) as in production,
        although ministack does not consult them when a service invokes the function.
        """
        zip_path = Path(zip_path)
        if not zip_path.is_file():
            raise EmulatorError(f"function zip {zip_path} does not exist (build it with `cargo lambda build "
                                f"--output-format zip`)")
        lam = self.client("lambda", "lambda_root")
        function_arn = lam.create_function(
            FunctionName=FUNCTION_NAME, Runtime="provided.al2023", Handler="bootstrap",
            Architectures=["x86_64"],  # host build: an arm64 bootstrap cannot run on this machine
            Role=self.state["execution_role_arn"], Timeout=30, MemorySize=128,
            Environment={"Variables": {**self.function_environment(), **(overrides or {})}},
            Code={"ZipFile": zip_path.read_bytes()})["FunctionArn"]
        lam.get_waiter("function_active_v2").wait(FunctionName=FUNCTION_NAME,
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        function = {"name": FUNCTION_NAME, "arn": function_arn, "source_bucket": SOURCE_BUCKET}
        function.update(self._wire_failure_destination(lam))
        function.update(self._wire_queue(lam, function_arn))
        function.update(self._wire_streams(lam))
        function.update(self._wire_topic(lam, function_arn))
        function.update(self._wire_event_rule(lam, function_arn))
        self._wire_source_bucket(lam, function_arn)
        function["url"] = self._wire_function_url(lam)
        self.state["function"] = function
        self.save()
        return function

    def _wire_failure_destination(self, lam) -> dict:
        """Bounded async retries, then the event with its error into the failure queue.

        Set before any trigger is wired, so no asynchronous event can fail without a trace.
        """
        sqs = self.client("sqs", "lambda_root")
        url = sqs.create_queue(QueueName=FAILURE_QUEUE_NAME)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if arn != FAILURE_QUEUE_ARN:
            raise EmulatorError(f"failure queue is {arn}, but the execution role may send to {FAILURE_QUEUE_ARN}")
        lam.put_function_event_invoke_config(
            FunctionName=FUNCTION_NAME, MaximumRetryAttempts=ASYNC_MAX_RETRY_ATTEMPTS,
            MaximumEventAgeInSeconds=ASYNC_MAX_EVENT_AGE_SECONDS,
            DestinationConfig={"OnFailure": {"Destination": arn}})
        return {"failure_queue_url": url, "failure_queue_arn": arn,
                "async_max_retry_attempts": ASYNC_MAX_RETRY_ATTEMPTS}

    def _wire_queue(self, lam, function_arn: str) -> dict:
        sqs = self.client("sqs", "lambda_root")
        dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={
            "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        })["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # MaximumBatchingWindowInSeconds is stored but not honoured by ministack's poller.
        mapping = lam.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName=FUNCTION_NAME, BatchSize=10,
            MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=["ReportBatchItemFailures"])
        self.wait_for_mapping_state(mapping["UUID"], "Enabled")
        return {"queue_url": queue_url, "queue_arn": queue_arn, "dlq_url": dlq_url, "dlq_arn": dlq_arn,
                "event_source_mapping": mapping["UUID"]}

    def _wire_streams(self, lam) -> dict:
        """The Kinesis and DynamoDB stream triggers, with the module's settings (see STREAM_*)."""
        mappings = {}
        for source in ("kinesis", "dynamodb"):
            mapping = lam.create_event_source_mapping(
                EventSourceArn=self.state[f"{source}_stream_arn"], FunctionName=FUNCTION_NAME,
                StartingPosition="TRIM_HORIZON", BatchSize=STREAM_BATCH_SIZE, MaximumBatchingWindowInSeconds=0,
                ParallelizationFactor=1, FunctionResponseTypes=["ReportBatchItemFailures"],
                BisectBatchOnFunctionError=True, MaximumRetryAttempts=STREAM_MAX_RETRY_ATTEMPTS,
                MaximumRecordAgeInSeconds=STREAM_MAX_RECORD_AGE_SECONDS,
                DestinationConfig={"OnFailure": {"Destination": FAILURE_QUEUE_ARN}})
            self.wait_for_mapping_state(mapping["UUID"], "Enabled")
            mappings[f"{source}_event_source_mapping"] = mapping["UUID"]
        return mappings

    def wait_for_mapping_state(self, uuid: str, state: str, timeout: float = 30) -> None:
        lam = self.client("lambda", "lambda_root")
        deadline = time.monotonic() + timeout
        while lam.get_event_source_mapping(UUID=uuid)["State"] != state:
            if time.monotonic() > deadline:
                raise EmulatorError(f"event source mapping {uuid} did not become {state}")
            time.sleep(0.2)

    def set_mapping_enabled(self, uuid: str, enabled: bool) -> None:
        """Pause or resume an event source mapping (a Kinesis/DynamoDB one keeps its position)."""
        self.client("lambda", "lambda_root").update_event_source_mapping(UUID=uuid, Enabled=enabled)
        self.wait_for_mapping_state(uuid, "Enabled" if enabled else "Disabled")

    def _wire_topic(self, lam, function_arn: str) -> dict:
        sns = self.client("sns", "lambda_root")
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        lam.add_permission(FunctionName=FUNCTION_NAME, StatementId="sns-writer-topic",
                           Action="lambda:InvokeFunction", Principal="sns.amazonaws.com", SourceArn=topic_arn)
        sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)
        return {"topic_arn": topic_arn}

    def _wire_event_rule(self, lam, function_arn: str) -> dict:
        events = self.client("events", "lambda_root")
        rule_arn = events.put_rule(Name=RULE_NAME, EventBusName=EVENT_BUS,
                                   EventPattern=json.dumps(EVENT_PATTERN), State="ENABLED")["RuleArn"]
        lam.add_permission(FunctionName=FUNCTION_NAME, StatementId="events-demo-orders",
                           Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)
        events.put_targets(Rule=RULE_NAME, EventBusName=EVENT_BUS,
                           Targets=[{"Id": "writer", "Arn": function_arn}])
        return {"event_bus": EVENT_BUS, "rule_name": RULE_NAME, "rule_arn": rule_arn}

    def _wire_source_bucket(self, lam, function_arn: str) -> None:
        lam.add_permission(FunctionName=FUNCTION_NAME, StatementId="s3-source-bucket",
                           Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                           SourceArn=f"arn:{PARTITION}:s3:::{SOURCE_BUCKET}", SourceAccount=LAMBDA_ACCOUNT)
        self.client("s3", "lambda_root").put_bucket_notification_configuration(
            Bucket=SOURCE_BUCKET, NotificationConfiguration={"LambdaFunctionConfigurations": [
                {"Id": "writer", "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}]})

    def _wire_function_url(self, lam) -> str:
        """Function URL with AWS_IAM auth, addressed path-style (no wildcard DNS needed).

        No resource permission is added: with AWS_IAM auth, callers of the owning account need
        only their identity policy (the account root in the demo and tests).
        """
        public = lam.create_function_url_config(FunctionName=FUNCTION_NAME, AuthType="AWS_IAM")["FunctionUrl"]
        url_id = public.split("//", 1)[1].split(".", 1)[0]
        return f"{self.state['endpoint']}/_aws/lambda-url/{url_id}/"

    def update_function_environment(self, changes: dict[str, str]) -> None:
        """Change some environment variables of the deployed function and wait for the update."""
        lam = self.client("lambda", "lambda_root")
        current = lam.get_function_configuration(FunctionName=FUNCTION_NAME)["Environment"]["Variables"]
        lam.update_function_configuration(FunctionName=FUNCTION_NAME,
                                          Environment={"Variables": {**current, **changes}})
        lam.get_waiter("function_updated_v2").wait(FunctionName=FUNCTION_NAME,
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def invoke(self, payload: Any) -> tuple[Any, str | None]:
        """Invoke the function synchronously as the lambda account root: (decoded payload, FunctionError)."""
        answer = self.client("lambda", "lambda_root").invoke(
            FunctionName=FUNCTION_NAME, Payload=json.dumps(payload).encode())
        raw = answer["Payload"].read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return body, answer.get("FunctionError")

    def function_log_streams(self) -> dict[str, list[str]]:
        """The function's log lines by stream, from CloudWatch Logs (/aws/lambda/<name>, lambda account).

        ministack writes each invocation's captured output (between START and END/REPORT
        lines) to a stream of its own.
        """
        logs = self.client("logs", "lambda_root")
        streams: dict[str, list[str]] = {}
        try:
            for page in logs.get_paginator("filter_log_events").paginate(
                    logGroupName=f"/aws/lambda/{FUNCTION_NAME}"):
                for event in page["events"]:
                    streams.setdefault(event["logStreamName"], []).append(event["message"])
        except logs.exceptions.ResourceNotFoundException:
            pass
        return streams


def _zip_single_file(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def _parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--function-env expects K=V, got {pair!r}")
        result[name] = value
    return result


def _format_environment(env: dict[str, str], style: str) -> str:
    if style == "json":
        return json.dumps(env, indent=2)
    if style == "shell":
        return "\n".join(f"export {name}='{value.replace(chr(39), chr(39) + chr(92) + chr(39) + chr(39))}'"
                         for name, value in env.items())
    return "\n".join(f"{name}={value}" for name, value in env.items())


def command_up(args: argparse.Namespace) -> int:
    emulator = Emulator(args.state, kms=args.kms)
    try:
        print(f"starting ministack (state in {emulator.state_dir}) ...", file=sys.stderr)
        emulator.start()
        print(f"  listening on {emulator.state['endpoint']}; provisioning both accounts ...", file=sys.stderr)
        emulator.provision()
        if args.function_zip:
            print(f"  deploying {args.function_zip} with its triggers ...", file=sys.stderr)
            emulator.deploy_function(args.function_zip, _parse_assignments(args.function_env))
    except BaseException:
        emulator.stop()
        raise
    # Leave ministack running: forget the Popen so nothing reaps or signals it on exit.
    emulator.process = None
    print(json.dumps(emulator.state, indent=2))
    return 0


def command_down(args: argparse.Namespace) -> int:
    state_dir = Path(args.state)
    state_path = state_dir / STATE_FILE
    if not state_path.exists():
        print(f"no emulator state at {state_path}; nothing to stop", file=sys.stderr)
        return 0
    try:
        emulator = Emulator.attach(state_dir)
    except (ValueError, EmulatorError) as error:
        print(f"unreadable state {state_path} ({error}); removing it", file=sys.stderr)
        state_path.unlink(missing_ok=True)
        return 0
    emulator.stop()
    print(f"emulator from {state_path} stopped and cleaned up", file=sys.stderr)
    return 0


def command_env(args: argparse.Namespace) -> int:
    emulator = Emulator.attach(args.state)
    print(_format_environment(emulator.local_run_environment(), args.format))
    return 0


def command_target_policy(args: argparse.Namespace) -> int:
    emulator = Emulator.attach(args.state)
    answer = {"target-write": emulator.put_target_write_policy(args.without)}
    if args.without_kms:
        emulator.client("iam", "bucket_root").delete_role_policy(RoleName=TARGET_ROLE, PolicyName="target-kms")
        answer["target-kms"] = None
    print(json.dumps(answer))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start ministack and provision both accounts")
    up.add_argument("--state", required=True, help="directory for emulator.json and the run dir")
    up.add_argument("--kms", action="store_true", help="SSE-KMS with a key in the bucket account")
    up.add_argument("--function-zip", help="deploy this bootstrap.zip with all triggers")
    up.add_argument("--function-env", nargs="*", default=[], metavar="K=V",
                    help="override/add function environment variables")
    up.set_defaults(run=command_up)

    down = commands.add_parser("down", help="stop ministack and delete the run dir")
    down.add_argument("--state", required=True)
    down.set_defaults(run=command_down)

    env = commands.add_parser("env", help="environment for a local run acting as the deployed function")
    env.add_argument("--state", required=True)
    env.add_argument("--format", choices=("dotenv", "shell", "json"), default="dotenv")
    env.set_defaults(run=command_env)

    target_policy = commands.add_parser(
        "target-policy", help="put the target role's target-write policy back (optionally without some statements)")
    target_policy.add_argument("--state", required=True)
    target_policy.add_argument("--without", nargs="*", default=[], metavar="SID",
                               help="leave out these statements (a deliberately broken setup); none restores it")
    target_policy.add_argument("--without-kms", action="store_true",
                               help="also delete the target role's target-kms policy (an emulator with --kms)")
    target_policy.set_defaults(run=command_target_policy)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except EmulatorError as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
