#!/usr/bin/env python3
"""Size, cold start, memory and per-record CPU of the release build of cross-account-s3-writer.

Run:  .venv/bin/python benches/run.py --function-zip PATH [--invocations N] [--json OUT]
      (or `make bench`, which builds the release zip first). Python 3.11 standard library only.

The function runs as it does in Lambda's custom runtime (`provided.al2023`): the
`bootstrap` binary from the zip is started with Lambda's environment variables and
talks HTTP to a *fake* Lambda Runtime API served by this script on 127.0.0.1. Its
AWS calls (STS AssumeRole, S3 PutObject) go to a *fake* AWS endpoint, also served
by this script on 127.0.0.1 (`AWS_ENDPOINT_URL`; the function then uses path-style
S3 addressing). Nothing leaves the loopback interface. Every process this script
starts is killed (process group, SIGKILL) when it is done or when the script exits.

What each figure means
----------------------
* zip / bootstrap size: bytes of the deployment package and of the unzipped binary.
  Lambda's limits are on these (50 MB zipped direct upload, 250 MB unzipped); a
  smaller package also downloads faster on a cold start.
* init (wall): time from just before the script spawns `bootstrap` to the arrival
  of the function's first `GET /2018-06-01/runtime/invocation/next` at the fake
  Runtime API, i.e. exec + dynamic loading + logging set-up + config validation +
  building the SDK clients (no network call happens in init: AssumeRole is lazy).
  This is the function's part of Lambda's "Init Duration"; Lambda's own part
  (placing the sandbox, downloading and unpacking the zip) is not included. It
  does include Python's fork/exec of the child, not separated out. Under CPU
  contention from other work on the machine, wall time grows while init CPU
  barely moves: compare the two, and look at the minimum.
  Repeated --cold-starts times (default 20); median and p90 are printed.
* init CPU: the process's CPU time (user+system, all threads) at that first poll.
* root CA loading: init again with SSL_CERT_FILE pointing at a single certificate
  and SSL_CERT_DIR at an empty directory. The SDK's HTTPS client reads and parses
  the platform's root certificates when the clients are built, even though no
  HTTPS connection is made here; the difference between the two runs is what
  that costs with THIS host's certificate store (bundle + hashed directory). The
  two kinds of start take turns. The Lambda image's store is laid out
  differently, so there the cost differs (not measured here).
* RSS after init: VmHWM (peak resident set) of the process at that first poll.
* first invocation: the first event after init (one EventBridge event), which
  also pays for AssumeRole (first connection to STS), the first connection to S3
  and the first PutObject. Lambda bills it as part of the first request.
* warm invocations: one fresh process per scenario; after --warmup invocations
  (default 5, the first of which does the AssumeRole), --invocations (default 200)
  events are delivered one at a time, as Lambda does:
    - wall: from just before the fake Runtime API writes the event to the function
      until the function's `/response` has arrived. It includes the fake AWS
      endpoint's own latency (a Python http.server on the same 2 cores) and no
      real network or TLS, so it is NOT a prediction of production latency.
    - CPU/invocation: CPU time (user+system, all threads) the function process
      used from the moment it was parked in `/next` until it was parked in `/next`
      again: reading the event, decoding, signing, CRC32, PUTs, the response, the
      next poll. Read with the kernel's per-process CPU clock
      (clock_gettime(CLOCK_PROCESS_CPUTIME_ID of the pid), nanosecond resolution).
      Cross-checked with utime+stime from /proc/<pid>/stat over the whole measured
      window (clock ticks, usually 10 ms, so only meaningful summed over many
      invocations), which also gives the user/system split.
    - CPU/record: CPU/invocation divided by the records in the invocation.
    - peak RSS: VmHWM of the process after the scenario.
  Scenarios: SQS batch of 10 x 1 KiB messages; direct invoke with one 1 MiB
  body; direct invoke with one small body (to separate the fixed per-object cost
  from the per-byte cost); one EventBridge event.
* logging cost: the SQS scenario again with logging as infra/ deploys it
  (AWS_LAMBDA_LOG_FORMAT=JSON, AWS_LAMBDA_LOG_LEVEL=INFO, no RUST_LOG: one INFO
  line per object written) against RUST_LOG=warn (nothing logged on success).
  Both processes run side by side and are invoked in alternation, so background
  load hits both alike (differences of a few percent are still within noise).
  Output goes to a file here; in Lambda it goes to a pipe to the log service.

Correctness guards (so a broken build can't produce pretty numbers): every
response is checked (SQS: `batchItemFailures` empty; direct: `failed == 0` and
the object `created`; EventBridge: one object `created`); the fake S3 checks
each PUT (bucket, `x-amz-expected-bucket-owner`, `If-None-Match: *`, the CRC32
checksum header against the received bytes, and that it is signed with the
*assumed-role* credentials the fake STS issued) and answers 412 to a key it
already has, as S3 does; PUTs received are counted against the records sent;
AssumeRole calls are counted per process (the function caches the role's
credentials, so it must be exactly 1). Any mismatch is printed and makes the
exit status 1.

How Lambda bills this, and what these figures are not
------------------------------------------------------
Lambda bills requests plus duration (GB-seconds, rounded up to 1 ms) at the
configured memory size. CPU is allocated in proportion to memory: AWS documents
that a function has the equivalent of one full vCPU at 1,769 MB, so at 128 MB it
gets a small fraction of one (roughly 128/1769, about 1/14) when CPU-bound. The
CPU times here were measured on a full, unthrottled core of this machine, so the
billed duration of the same work at 128 MB is LARGER than the CPU time printed
here, and real STS/S3 latency (not present here) comes on top. How much larger
is not measured by this script, and no factor is applied to any figure. Whether
and how the init phase is billed depends on AWS's current pricing rules for the
runtime; this script does not model it.

Limits of the method: fake endpoints on loopback (plain HTTP, so no TLS
handshakes or encryption, whose CPU cost production pays; no real network
latency; no real S3 work), a Python fake endpoint sharing this 2-core machine
with the function (wall times include its latency and any CPU contention; CPU
times are the function process's alone), an x86_64 host build while infra/
deploys arm64, and whatever else runs on the machine at the time (the load
average before and after is printed: figures taken under load are noisier).
Timing figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import copy
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

REGION = "us-east-1"
LAMBDA_ACCOUNT = "111111111111"
TARGET_ACCOUNT = "222222222222"
FUNCTION_NAME = "bench"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{LAMBDA_ACCOUNT}:function:{FUNCTION_NAME}"
TARGET_ROLE_ARN = f"arn:aws:iam::{TARGET_ACCOUNT}:role/writer-target"
TARGET_BUCKET = f"writer-target-{TARGET_ACCOUNT}"
EXTERNAL_ID = "bench-external-id"
KEY_PREFIX = "incoming/"

# Credentials: the dummy "execution role" ones in the environment, and the
# ones the fake STS hands out for the target role (PUTs must be signed with these).
EXEC_ACCESS_KEY = "AKIABENCHEXECUTION01"
ASSUMED_ACCESS_KEY = "ASIABENCHASSUMEDROLE"
ASSUMED_SECRET = "benchAssumedSecretKey0000000000000000000"
ASSUMED_TOKEN = "benchAssumedSessionToken" + "x" * 40

RUNTIME_PREFIX = "/2018-06-01/runtime"
MIB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Logging modes: (label, extra environment).
LOG_WARN = ("RUST_LOG=warn", {"RUST_LOG": "warn"})
LOG_DEPLOYED = (
    "as deployed: JSON, AWS_LAMBDA_LOG_LEVEL=INFO",
    {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"},
)


class BenchError(Exception):
    """The function or the harness misbehaved; figures would be meaningless."""


# --------------------------------------------------------------------------- children


_children: list[subprocess.Popen] = []
_servers: list[ThreadingHTTPServer] = []


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # started with start_new_session: its own group
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _cleanup() -> None:
    for proc in list(_children):
        _kill(proc)
        _children.remove(proc)
    for server in list(_servers):
        _stop_server(server)


def _stop_server(server: ThreadingHTTPServer) -> None:
    if server in _servers:
        _servers.remove(server)
        closing = getattr(server, "closing", None)
        if closing is not None:
            closing.set()
        server.shutdown()
        server.server_close()


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------- /proc


def cpu_ns(pid: int) -> int | None:
    """CPU time (user+system, all threads, including exited ones) of a process, in ns.

    The kernel's per-process CPU clock: clockid = (~pid << 3) | CPUCLOCK_SCHED (2),
    what glibc's clock_getcpuclockid() returns. None if the process is gone.
    """
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2)
    except OSError:
        return None


def stat_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) of the process from /proc/<pid>/stat, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return int(fields[11]), int(fields[12])


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS (bytes) and Threads of the process."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) * 1024
            elif key == "Threads":
                out[key] = int(value.strip())
    return out


# --------------------------------------------------------------------------- HTTP helpers


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body: Content-Length, or Transfer-Encoding: chunked."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size_line = handler.rfile.readline(1024)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline(16)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def decode_aws_chunked(data: bytes) -> tuple[bytes, dict[str, str]]:
    """Body and trailers of a `Content-Encoding: aws-chunked` body."""
    body, trailers, pos = [], {}, 0
    while True:
        eol = data.index(b"\r\n", pos)
        size = int(data[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            for line in data[pos:].split(b"\r\n"):
                if b":" in line:
                    k, _, v = line.partition(b":")
                    trailers[k.decode().strip().lower()] = v.decode().strip()
            return b"".join(body), trailers
        body.append(data[pos : pos + size])
        pos += size + 2


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Lambda's Runtime API and S3 do
    disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms delayed-ACK stalls
    server_version = "bench"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """Status line, headers and body in one write."""
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)
        self.wfile.flush()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A peer that went away (the function killed mid-request) is expected; anything else is not.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def start_server(handler_class, state) -> ThreadingHTTPServer:
    handler = type(handler_class.__name__, (handler_class,), {"state": state})
    server = QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False
    server.closing = threading.Event()
    _servers.append(server)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    return server


# --------------------------------------------------------------------------- fake Runtime API


class Invocation:
    def __init__(self, request_id: str, payload: bytes):
        self.request_id = request_id
        self.payload = payload
        self.sent_ns: int | None = None
        self.done_ns: int | None = None
        self.kind: str | None = None  # "response" or "error"
        self.body: bytes = b""
        self.error_type: str | None = None


class RuntimeState:
    """One fake Runtime API, serving exactly one function process."""

    def __init__(self):
        self.cond = threading.Condition()
        self.polls = 0  # `next` requests received
        self.first_poll_ns: int | None = None
        self.pending: Invocation | None = None  # handed to the next `next`
        self.invocations: dict[str, Invocation] = {}
        self.init_errors: list[bytes] = []
        self.unexpected: list[str] = []
        self.closing: threading.Event | None = None


class RuntimeHandler(QuietHandler):
    state: RuntimeState

    def do_GET(self):
        st = self.state
        if self.path != f"{RUNTIME_PREFIX}/invocation/next":
            with st.cond:
                st.unexpected.append(f"GET {self.path}")
            return self.reply(404, b'{"errorMessage":"not found"}')
        now = time.monotonic_ns()
        with st.cond:
            st.polls += 1
            if st.first_poll_ns is None:
                st.first_poll_ns = now
            st.cond.notify_all()
            # Long poll, as Lambda's: wait for an event, but never past the harness's life.
            while st.pending is None and not st.closing.is_set():
                st.cond.wait(0.2)
            inv, st.pending = st.pending, None
        if inv is None:  # shutting down: drop the connection
            self.close_connection = True
            return
        deadline_ms = int(time.time() * 1000) + 30_000
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        inv.sent_ns = time.monotonic_ns()
        self.reply(200, inv.payload, headers)

    def do_POST(self):
        st = self.state
        body = read_body(self)
        now = time.monotonic_ns()
        parts = self.path.split("/")  # ['', '2018-06-01', 'runtime', 'invocation', id, kind]
        if self.path == f"{RUNTIME_PREFIX}/init/error":
            with st.cond:
                st.init_errors.append(body)
                st.cond.notify_all()
            return self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        if len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
            with st.cond:
                inv = st.invocations.get(parts[4])
                if inv is not None and inv.kind is None:
                    inv.kind, inv.body, inv.done_ns = parts[5], body, now
                    inv.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                    st.cond.notify_all()
                    found = True
                else:
                    st.unexpected.append(f"POST {self.path} (unknown or repeated request id)")
                    found = False
            if found:
                return self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
            return self.reply(400, b'{"errorMessage":"unknown request id"}')
        with st.cond:
            st.unexpected.append(f"POST {self.path}")
        self.reply(404, b'{"errorMessage":"not found"}')


class FakeRuntime:
    def __init__(self):
        self.state = RuntimeState()
        self.server = start_server(RuntimeHandler, self.state)
        self.state.closing = self.server.closing
        self.port = self.server.server_address[1]

    def close(self):
        _stop_server(self.server)

    def _wait(self, predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path):
        end = time.monotonic() + timeout
        with self.state.cond:
            while not predicate():
                if self.state.init_errors:
                    raise BenchError(f"function reported an init error while {what}: "
                                     f"{self.state.init_errors[0][:500]!r}\n{tail(log)}")
                if proc.poll() is not None:
                    raise BenchError(f"function exited (status {proc.returncode}) while {what}\n{tail(log)}")
                left = end - time.monotonic()
                if left <= 0:
                    raise BenchError(f"timed out after {timeout:.0f} s {what}\n{tail(log)}")
                self.state.cond.wait(min(left, 0.05))

    def wait_polls(self, count: int, timeout: float, proc, log) -> None:
        """Until the function has sent `count` `next` requests (it is then idle, parked)."""
        self._wait(lambda: self.state.polls >= count, timeout, f"waiting for /next #{count}", proc, log)

    def invoke(self, payload: bytes, timeout: float, proc, log) -> Invocation:
        inv = Invocation(str(uuid.uuid4()), payload)
        with self.state.cond:
            self.state.invocations[inv.request_id] = inv
            self.state.pending = inv
            self.state.cond.notify_all()
        self._wait(lambda: inv.kind is not None, timeout, f"waiting for the response to {inv.request_id}", proc, log)
        return inv


def tail(log: Path, n: int = 15) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return "(no function output)"
    return "function output (last lines):\n  " + "\n  ".join(lines) if lines else "(no function output)"


# --------------------------------------------------------------------------- fake AWS (STS + S3)


class AwsState:
    def __init__(self):
        self.lock = threading.Lock()
        self.assume_role = 0
        self.assume_role_bad: list[str] = []
        self.puts_created = 0
        self.puts_existing = 0  # answered 412
        self.put_bytes = 0
        self.put_problems: list[str] = []
        self.keys: set[str] = set()
        self.unexpected: list[str] = []
        self.first_requests: list[str] = []  # a few raw request heads, for --verbose

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "assume_role": self.assume_role,
                "puts_created": self.puts_created,
                "puts_existing": self.puts_existing,
                "put_bytes": self.put_bytes,
                "put_problems": len(self.put_problems),
                "unexpected": len(self.unexpected),
            }


def sts_xml(action: str, inner: str) -> bytes:
    return (
        f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<{action}Result>{inner}</{action}Result>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()


class AwsHandler(QuietHandler):
    state: AwsState

    def _note(self, body_len: int) -> None:
        with self.state.lock:
            if len(self.state.first_requests) < 4:
                head = "\n    ".join(f"{k}: {v}" for k, v in self.headers.items())
                self.state.first_requests.append(f"{self.command} {self.path} ({body_len} body bytes)\n    {head}")

    def do_POST(self):
        body = read_body(self)
        self._note(len(body))
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        action = form.get("Action", [""])[0]
        if urllib.parse.urlsplit(self.path).path == "/" and action == "AssumeRole":
            problems = []
            if form.get("RoleArn", [""])[0] != TARGET_ROLE_ARN:
                problems.append(f"RoleArn {form.get('RoleArn')}")
            if form.get("ExternalId", [""])[0] != EXTERNAL_ID:
                problems.append(f"ExternalId {form.get('ExternalId')}")
            if f"Credential={EXEC_ACCESS_KEY}/" not in self.headers.get("Authorization", ""):
                problems.append("not signed with the execution role's credentials")
            session = form.get("RoleSessionName", ["bench"])[0]
            expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            with self.state.lock:
                self.state.assume_role += 1
                self.state.assume_role_bad.extend(problems)
            inner = (
                "<AssumedRoleUser>"
                f"<AssumedRoleId>AROABENCHTARGETROLE01:{session}</AssumedRoleId>"
                f"<Arn>arn:aws:sts::{TARGET_ACCOUNT}:assumed-role/writer-target/{session}</Arn>"
                "</AssumedRoleUser>"
                "<Credentials>"
                f"<AccessKeyId>{ASSUMED_ACCESS_KEY}</AccessKeyId>"
                f"<SecretAccessKey>{ASSUMED_SECRET}</SecretAccessKey>"
                f"<SessionToken>{ASSUMED_TOKEN}</SessionToken>"
                f"<Expiration>{expires}</Expiration>"
                "</Credentials>"
            )
            return self.reply(200, sts_xml("AssumeRole", inner), {"Content-Type": "text/xml"})
        with self.state.lock:
            self.state.unexpected.append(f"POST {self.path} Action={action!r}")
        err = b'<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not faked</Message></Error></ErrorResponse>'
        self.reply(400, err, {"Content-Type": "text/xml"})

    def do_PUT(self):
        raw = read_body(self)
        self._note(len(raw))
        url = urllib.parse.urlsplit(self.path)
        bucket, _, key = url.path.lstrip("/").partition("/")
        key = urllib.parse.unquote(key)
        h = {k.lower(): v for k, v in self.headers.items()}
        problems = []
        body = raw
        if "aws-chunked" in h.get("content-encoding", ""):
            body, trailers = decode_aws_chunked(raw)
            h.update(trailers)
            if "x-amz-decoded-content-length" in h and int(h["x-amz-decoded-content-length"]) != len(body):
                problems.append("decoded length mismatch")
        if bucket != TARGET_BUCKET:
            problems.append(f"bucket {bucket!r}")
        if not key.startswith(KEY_PREFIX):
            problems.append(f"key {key!r} outside {KEY_PREFIX}")
        if h.get("x-amz-expected-bucket-owner") != TARGET_ACCOUNT:
            problems.append("no x-amz-expected-bucket-owner")
        if h.get("if-none-match") != "*":
            problems.append("no If-None-Match: *")
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        if h.get("x-amz-checksum-crc32") != crc:
            problems.append(f"CRC32 {h.get('x-amz-checksum-crc32')!r} != {crc!r}")
        if f"Credential={ASSUMED_ACCESS_KEY}/" not in h.get("authorization", ""):
            problems.append("not signed with the assumed role's credentials")
        if h.get("x-amz-security-token") != ASSUMED_TOKEN:
            problems.append("no assumed-role session token")
        with self.state.lock:
            if problems:
                self.state.put_problems.append(f"PUT {url.path}: {', '.join(problems)}")
            if key in self.state.keys:
                self.state.puts_existing += 1
                exists = True
            else:
                self.state.keys.add(key)
                self.state.puts_created += 1
                self.state.put_bytes += len(body)
                exists = False
        if problems:
            err = b"<Error><Code>InvalidRequest</Code><Message>bench: request check failed</Message></Error>"
            return self.reply(400, err, {"Content-Type": "application/xml"})
        if exists:
            err = b"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>"
            return self.reply(412, err, {"Content-Type": "application/xml"})
        self.reply(200, b"", {"ETag": f'"{zlib.crc32(body):08x}"', "x-amz-checksum-crc32": crc})

    def _other(self):
        body = read_body(self)
        self._note(len(body))
        with self.state.lock:
            self.state.unexpected.append(f"{self.command} {self.path}")
        self.reply(501, b"<Error><Code>NotImplemented</Code><Message>not faked</Message></Error>",
                   {"Content-Type": "application/xml"})

    do_GET = do_HEAD = do_DELETE = _other


# --------------------------------------------------------------------------- events


def sqs_event_factory(size: int = 1024, count: int = 10):
    template = json.loads((EVENTS / "sqs.json").read_text())["Records"][0]
    template["messageAttributes"] = {}

    def make(i: int) -> bytes:
        records = []
        for j in range(count):
            head = f'{{"orderId":"o-{i}-{j}","pad":"'
            body = head + "x" * (size - len(head) - 2) + '"}'
            rec = copy.deepcopy(template)
            rec["messageId"] = str(uuid.uuid4())
            rec["body"] = body
            rec["md5OfBody"] = hashlib.md5(body.encode()).hexdigest()
            rec["attributes"]["SentTimestamp"] = str(int(time.time() * 1000))
            records.append(rec)
        return json.dumps({"Records": records}).encode()

    return make


def direct_event_factory(size: int):
    # Printable, incompressible-looking ASCII with nothing to escape in JSON.
    rng = random.Random(1234)
    text = base64.b64encode(rng.randbytes(size)).decode()[:size]

    def make(_i: int) -> bytes:
        return json.dumps({"body": text}).encode()

    return make


def eventbridge_event_factory():
    template = json.loads((EVENTS / "eventbridge.json").read_text())

    def make(i: int) -> bytes:
        ev = dict(template, id=str(uuid.uuid4()))
        ev["detail"] = dict(ev["detail"], orderId=f"o-{i}")
        return json.dumps(ev).encode()

    return make


def check_sqs(resp: dict, records: int) -> str | None:
    if resp.get("batchItemFailures") != []:
        return f"batchItemFailures not empty: {json.dumps(resp)[:300]}"
    return None


def check_direct(resp: dict, records: int) -> str | None:
    objs = resp.get("objects") or []
    if resp.get("failed") != 0 or len(objs) != records or any(o.get("status") != "created" for o in objs):
        return f"direct invoke not fully created: {json.dumps(resp)[:300]}"
    return None


def check_eventbridge(resp: dict, records: int) -> str | None:
    written = resp.get("written") or []
    if len(written) != records or any(w.get("status") != "created" for w in written):
        return f"EventBridge event not created: {json.dumps(resp)[:300]}"
    return None


# --------------------------------------------------------------------------- the function process


class Function:
    """One `bootstrap` process, against its own fake Runtime API."""

    def __init__(self, binary: Path, aws_port: int, workdir: Path, log_mode, name: str, timeout: float):
        self.runtime = FakeRuntime()
        self.log = workdir / f"{name}.log"
        self.timeout = timeout
        label, extra = log_mode
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir / "home"),
            "LANG": "C.UTF-8",
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.runtime.port}",
            "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION_NAME}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{uuid.uuid4().hex}",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": EXEC_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": "benchExecutionSecretKey00000000000000000",
            "AWS_SESSION_TOKEN": "benchExecutionSessionToken",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
            "AWS_EC2_METADATA_DISABLED": "true",
            "TARGET_ROLE_ARN": TARGET_ROLE_ARN,
            "TARGET_BUCKET": TARGET_BUCKET,
            "TARGET_EXTERNAL_ID": EXTERNAL_ID,
            "KEY_PREFIX": KEY_PREFIX,
            "LAMBDA_TASK_ROOT": str(binary.parent),
            "_HANDLER": "bootstrap",
            **extra,
        }
        (workdir / "home").mkdir(exist_ok=True)
        self.logfile = open(self.log, "wb")
        self.spawn_ns = time.monotonic_ns()
        self.proc = subprocess.Popen(
            [str(binary)],
            env=env,
            cwd=str(binary.parent),
            stdin=subprocess.DEVNULL,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _children.append(self.proc)
        self.pid = self.proc.pid

    def wait_init(self) -> int:
        """ns from spawn to the first /next."""
        self.runtime.wait_polls(1, self.timeout, self.proc, self.log)
        return self.runtime.state.first_poll_ns - self.spawn_ns

    def invoke(self, payload: bytes) -> tuple[Invocation, int]:
        """One invocation, from parked in /next to parked again: (invocation, CPU ns)."""
        polls = self.runtime.state.polls
        self.runtime.wait_polls(polls, self.timeout, self.proc, self.log)
        c0 = cpu_ns(self.pid)
        inv = self.runtime.invoke(payload, self.timeout, self.proc, self.log)
        self.runtime.wait_polls(polls + 1, self.timeout, self.proc, self.log)
        c1 = cpu_ns(self.pid)
        if c0 is None or c1 is None:
            raise BenchError(f"function process vanished\n{tail(self.log)}")
        return inv, c1 - c0

    def stop(self) -> None:
        _kill(self.proc)
        if self.proc in _children:
            _children.remove(self.proc)
        self.logfile.close()
        self.runtime.close()


def response_json(inv: Invocation, fn: Function) -> dict:
    if inv.kind != "response":
        raise BenchError(f"invocation failed ({inv.error_type}): {inv.body[:500]!r}\n{tail(fn.log)}")
    try:
        return json.loads(inv.body)
    except ValueError as e:
        raise BenchError(f"response is not JSON ({e}): {inv.body[:200]!r}") from e


# --------------------------------------------------------------------------- measurements


def pct(values: list[float], p: float) -> float:
    """p-th percentile, nearest-rank (no interpolation: a value that was measured)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "p90": pct(values, 90),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "n": len(values),
    }


def measure_cold(binary: Path, aws: AwsState, aws_port: int, workdir: Path, reps: int, timeout: float,
                 modes: list, tag: str = "cold") -> list[dict]:
    """`reps` fresh processes per entry of modes, one process at a time; the modes
    take turns (order reversed every other round) so drift in background load hits
    them alike."""
    first_event = eventbridge_event_factory()
    k = len(modes)
    data = [{key: [] for key in ("init", "cpu", "rss", "threads", "wall1", "cpu1")} for _ in modes]
    assume = [0] * k
    puts = [0] * k
    for i in range(reps):
        for n in (range(k) if i % 2 == 0 else reversed(range(k))):
            d = data[n]
            before = aws.snapshot()
            fn = Function(binary, aws_port, workdir, modes[n], f"{tag}{n}-{i}", timeout)
            try:
                init_ns = fn.wait_init()
                c = cpu_ns(fn.pid)
                st = proc_status(fn.pid)
                d["init"].append(init_ns / 1e6)
                d["cpu"].append(c / 1e6)
                d["rss"].append(st["VmHWM"])
                d["threads"].append(st["Threads"])
                inv, cpu = fn.invoke(first_event(i * k + n))
                problem = check_eventbridge(response_json(inv, fn), 1)
                if problem:
                    raise BenchError(problem)
                d["wall1"].append((inv.done_ns - inv.sent_ns) / 1e6)
                d["cpu1"].append(cpu / 1e6)
            finally:
                fn.stop()
            after = aws.snapshot()
            assume[n] += after["assume_role"] - before["assume_role"]
            puts[n] += after["puts_created"] - before["puts_created"]
    return [
        {
            "runs": reps,
            "environment": mode[0],
            "init_ms": summary(d["init"]),
            "init_cpu_ms": summary(d["cpu"]),
            "rss_after_init_bytes": summary(d["rss"]),
            "threads_after_init": summary(d["threads"]),
            "first_invocation_wall_ms": summary(d["wall1"]),
            "first_invocation_cpu_ms": summary(d["cpu1"]),
            "assume_role_calls": assume[n],
            "puts_created": puts[n],
            "puts_expected": reps,
        }
        for n, (mode, d) in enumerate(zip(modes, data))
    ]


CA_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]


def one_cert_trust_store(workdir: Path):
    """Environment for a trust store of one certificate (the first of this host's bundle), or None.

    The SDK's HTTPS client loads the platform's root certificates when the clients
    are built (rustls-native-certs: SSL_CERT_FILE/SSL_CERT_DIR, else what
    openssl-probe finds). Starting once with a one-certificate store shows how
    much of init that loading costs on this host.
    """
    for bundle in CA_BUNDLES:
        try:
            text = Path(bundle).read_text()
        except OSError:
            continue
        end = text.find("-----END CERTIFICATE-----")
        start = text.rfind("-----BEGIN CERTIFICATE-----", 0, end)
        if start < 0 or end < 0:
            continue
        pem = workdir / "one-cert.pem"
        pem.write_text(text[start : end + len("-----END CERTIFICATE-----")] + "\n")
        empty = workdir / "empty-cert-dir"
        empty.mkdir(exist_ok=True)
        label = "RUST_LOG=warn, trust store of 1 certificate"
        return (label, {"RUST_LOG": "warn", "SSL_CERT_FILE": str(pem), "SSL_CERT_DIR": str(empty)}), bundle
    return None


def host_trust_store() -> dict:
    """What the default trust-store lookup finds on this host (for the report)."""
    info = {}
    for bundle in CA_BUNDLES:
        if os.path.isfile(bundle):
            with open(bundle) as f:
                info["bundle"] = bundle
                info["bundle_certificates"] = f.read().count("BEGIN CERTIFICATE")
            break
    if os.path.isdir("/etc/ssl/certs"):
        info["dir"] = "/etc/ssl/certs"
        info["dir_files"] = len(os.listdir("/etc/ssl/certs"))
    return info


SCENARIOS = {
    # name: (description, records per invocation, factory, check)
    "sqs": ("SQS batch, 10 x 1 KiB", 10, sqs_event_factory, check_sqs),
    "direct-1mib": ("direct, one 1 MiB body", 1, lambda: direct_event_factory(MIB), check_direct),
    "direct-small": ("direct, one 100 B body", 1, lambda: direct_event_factory(100), check_direct),
    "eventbridge": ("EventBridge event", 1, eventbridge_event_factory, check_eventbridge),
}


def measure_warm(name: str, binary: Path, aws: AwsState, aws_port: int, workdir: Path,
                 invocations: int, warmup: int, log_modes: list, timeout: float, tag: str) -> list[dict]:
    """One process per entry of log_modes, all alive at once, invoked in alternation.

    With more than one process (the logging comparison), invocation i goes to
    every process in turn (order reversed every other round), so both see the
    same background load and any drift hits them alike. AssumeRole and PUT
    counts are for the whole group.
    """
    description, records, factory, check = SCENARIOS[name]
    make = factory()
    before = aws.snapshot()
    fns: list[Function] = []
    k = len(log_modes)
    walls = [[] for _ in range(k)]
    cpus = [[] for _ in range(k)]
    first_wall = [None] * k
    t0_ticks, t0_cpu, log0 = [None] * k, [None] * k, [0] * k
    t1_ticks, t1_cpu, st, log_bytes = [None] * k, [None] * k, [None] * k, [0] * k
    event_bytes = 0
    try:
        for n, mode in enumerate(log_modes):
            fns.append(Function(binary, aws_port, workdir, mode, f"{tag}{n}-{name}", timeout))
        for fn in fns:
            fn.wait_init()
        for i in range(warmup + invocations):
            order = range(k) if i % 2 == 0 else reversed(range(k))
            for n in order:
                fn = fns[n]
                payload = make(i * k + n)
                if i == warmup:
                    t0_ticks[n], t0_cpu[n], log0[n] = stat_ticks(fn.pid), cpu_ns(fn.pid), fn.log.stat().st_size
                inv, cpu = fn.invoke(payload)
                problem = check(response_json(inv, fn), records)
                if problem:
                    raise BenchError(f"{name}: {problem}")
                wall = (inv.done_ns - inv.sent_ns) / 1e6
                if i == 0:
                    first_wall[n] = wall
                if i >= warmup:
                    walls[n].append(wall)
                    cpus[n].append(cpu / 1e6)
                    if n == 0:
                        event_bytes += len(payload)
        for n, fn in enumerate(fns):
            t1_ticks[n], t1_cpu[n], st[n] = stat_ticks(fn.pid), cpu_ns(fn.pid), proc_status(fn.pid)
            log_bytes[n] = fn.log.stat().st_size - log0[n]
    finally:
        for fn in fns:
            fn.stop()
    after = aws.snapshot()
    results = []
    for n, mode in enumerate(log_modes):
        user = t1_ticks[n][0] - t0_ticks[n][0]
        system = t1_ticks[n][1] - t0_ticks[n][1]
        cpu_summary = summary(cpus[n])
        results.append({
            "scenario": name,
            "description": description,
            "logging": mode[0],
            "processes_in_group": k,
            "records_per_invocation": records,
            "invocations": invocations,
            "warmup": warmup,
            "event_bytes_per_invocation": event_bytes // invocations,
            "first_invocation_wall_ms": first_wall[n],
            "wall_ms": summary(walls[n]),
            "cpu_ms_per_invocation": cpu_summary,
            "cpu_ms_per_record": {key: (v / records if key != "n" else v) for key, v in cpu_summary.items()},
            "window_cpu_ms_per_invocation_clock": (t1_cpu[n] - t0_cpu[n]) / 1e6 / invocations,
            "window_cpu_ms_per_invocation_stat": (user + system) * 1000 / CLK_TCK / invocations,
            "window_user_fraction": user / (user + system) if user + system else None,
            "stat_ticks": {"user": user, "system": system, "clk_tck": CLK_TCK},
            "peak_rss_bytes": st[n]["VmHWM"],
            "rss_end_bytes": st[n]["VmRSS"],
            "threads_end": st[n]["Threads"],
            "log_bytes_per_invocation": log_bytes[n] / invocations,
            # Counted by the fake AWS endpoint for the whole group of processes:
            "assume_role_calls": after["assume_role"] - before["assume_role"],
            "assume_role_expected": k,
            "puts_created": after["puts_created"] - before["puts_created"],
            "puts_answered_412": after["puts_existing"] - before["puts_existing"],
            "puts_expected": (warmup + invocations) * records * k,
            "put_bytes": after["put_bytes"] - before["put_bytes"],
        })
    return results


# --------------------------------------------------------------------------- output


REFERENCE = [
    # (build, init ms, peak RSS MiB, zip MiB) -- GUIDE.md section 6
    ("lambda_runtime echo, no SDK (the floor)", "~3 ms", "~3 MiB", "~0.6 MiB"),
    ("straightforward Rust: aws-config + AssumeRoleProvider + aws-sdk-s3", "~9 ms", "~9 MiB", "~4.8 MiB"),
    ("Python 3.11 + boto3 under awslambdaric", "~280 ms", "~53 MiB", "-"),
]


def mib(n: float) -> str:
    return f"{n / MIB:.2f} MiB"


def ms(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    out = []
    for n, r in enumerate([headers, *rows]):
        cells = [str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)]
        out.append(indent + "  ".join(cells).rstrip())
        if n == 0:
            out.append(indent + "  ".join("-" * w for w in widths))
    return "\n".join(out)


def render(res: dict) -> str:
    out = []
    env = res["environment"]
    out.append(f"cross-account-s3-writer benchmark  {res['started_utc']}")
    out.append(f"  binary: {res['binary']['source']}  ({env['machine']}, {env['cpus']} CPUs, Linux {env['kernel']})")
    out.append(f"  load average (1 min) before {env['loadavg_before'][0]:.2f}, after {env['loadavg_after'][0]:.2f}"
               + ("   <- machine busy: figures are noisier than usual" if max(env["loadavg_before"][0], env["loadavg_after"][0]) > 1.0 else ""))
    out.append("")
    b = res["binary"]
    rows = []
    if b.get("zip_bytes") is not None:
        rows.append(["bootstrap.zip", f"{b['zip_bytes']:,}", mib(b["zip_bytes"])])
    rows.append(["bootstrap (unzipped)", f"{b['bootstrap_bytes']:,}", mib(b["bootstrap_bytes"])])
    out.append("Size")
    out.append(table(["", "bytes", "MiB"], rows))
    out.append("")

    c = res["cold"]
    out.append(f"Cold start ({c['runs']} fresh processes, RUST_LOG=warn)")
    rows = []
    for label, key, fmt in [
        ("init: spawn -> first /next (wall, ms)", "init_ms", ms),
        ("init CPU (user+sys, ms)", "init_cpu_ms", ms),
        ("RSS at first /next (VmHWM, MiB)", "rss_after_init_bytes", lambda v: f"{v / MIB:.2f}"),
        ("first invocation wall (AssumeRole + PUT, ms)", "first_invocation_wall_ms", ms),
        ("first invocation CPU (ms)", "first_invocation_cpu_ms", ms),
    ]:
        s = c[key]
        rows.append([label, fmt(s["median"]), fmt(s["p90"]), fmt(s["min"]), fmt(s["max"])])
    out.append(table(["", "median", "p90", "min", "max"], rows))
    c1 = res.get("cold_one_cert")
    if c1:
        rows = []
        for label, key, fmt in [
            ("init (wall, ms)", "init_ms", ms),
            ("init CPU (ms)", "init_cpu_ms", ms),
            ("RSS at first /next (MiB)", "rss_after_init_bytes", lambda v: f"{v / MIB:.2f}"),
        ]:
            s0, s1 = c[key], c1[key]
            rows.append([label, fmt(s0["median"]), fmt(s1["median"]), fmt(s0["median"] - s1["median"])])
        ts = res.get("host_trust_store", {})
        out.append(f"  Root CA loading at init (this host: {ts.get('bundle', '?')} with {ts.get('bundle_certificates', '?')} "
                   f"certificates, and {ts.get('dir_files', '?')} files in {ts.get('dir', '?')}):")
        out.append(table(["  medians", "host store", "1 certificate", "difference"], rows, indent="    "))
    out.append(f"  threads after init: {c['threads_after_init']['median']:.0f};  AssumeRole calls: "
               f"{c['assume_role_calls']} for {c['runs']} processes;  PUTs created: {c['puts_created']}/{c['puts_expected']}")
    out.append("")

    warm = res["warm"]
    if warm:
        w0 = warm[0]
        out.append(f"Warm invocations ({w0['invocations']} measured after {w0['warmup']} warm-up, one process per scenario, RUST_LOG=warn)")
        rows = []
        for w in warm:
            rows.append([
                w["description"],
                str(w["records_per_invocation"]),
                ms(w["wall_ms"]["median"]), ms(w["wall_ms"]["p90"]),
                ms(w["cpu_ms_per_invocation"]["median"]), ms(w["cpu_ms_per_invocation"]["p90"]),
                ms(w["cpu_ms_per_record"]["median"]),
                ms(w["window_cpu_ms_per_invocation_stat"]),
                f"{100 * w['window_user_fraction']:.0f}%" if w["window_user_fraction"] is not None else "-",
                f"{w['peak_rss_bytes'] / MIB:.2f}",
            ])
        out.append(table(["scenario", "rec", "wall med", "wall p90", "CPU/inv med", "CPU/inv p90",
                          "CPU/rec", "CPU/inv stat", "user", "peak RSS MiB"], rows))
        out.append("  (ms; CPU = user+sys of the function process from parked in /next to parked again;"
                   f" 'CPU/inv stat' = utime+stime from /proc/pid/stat over the window, {1000 // CLK_TCK} ms ticks)")
        rows = []
        for w in warm:
            rows.append([w["description"], ms(w["first_invocation_wall_ms"]), str(w["assume_role_calls"]),
                         f"{w['puts_created']}/{w['puts_expected']}", str(w["puts_answered_412"]),
                         f"{w['put_bytes'] / MIB:.1f}", str(w["threads_end"])])
        out.append("")
        out.append(table(["checks", "1st inv wall ms", "AssumeRole", "PUTs created/expected", "412s",
                          "MiB PUT", "threads"], rows))
        small = next((w for w in warm if w["scenario"] == "direct-small"), None)
        big = next((w for w in warm if w["scenario"] == "direct-1mib"), None)
        if small and big:
            per_mib = big["cpu_ms_per_invocation"]["median"] - small["cpu_ms_per_invocation"]["median"]
            out.append(f"  => fixed cost of one object ~{ms(small['cpu_ms_per_invocation']['median'])} ms CPU; "
                       f"each MiB of body adds ~{ms(per_mib)} ms CPU (1 MiB minus 100 B direct invoke, medians)")
        out.append("")

    lg = res.get("logging")
    if lg:
        out.append(f"Logging cost (SQS 10 x 1 KiB, {lg[0]['invocations']} invocations each; "
                   "the two processes run side by side, invoked in alternation)")
        base = lg[0]["cpu_ms_per_record"]["median"]
        rows = []
        for w in lg:
            delta = w["cpu_ms_per_record"]["median"] - base
            rows.append([w["logging"], ms(w["cpu_ms_per_invocation"]["median"]), ms(w["cpu_ms_per_record"]["median"]),
                         "" if w is lg[0] else f"{delta:+.3f} ms ({100 * delta / base:+.0f}%)",
                         f"{w['log_bytes_per_invocation']:.0f}"])
        out.append(table(["logging", "CPU/inv med", "CPU/rec med", "vs warn", "log bytes/inv"], rows))
        out.append("")

    out.append("Reference figures: from GUIDE.md section 6, measured EARLIER on this machine type, NOT by this run")
    rows = [[b_, i_, r_, z_] for b_, i_, r_, z_ in REFERENCE]
    sqs = next((w for w in warm if w["scenario"] == "sqs"), None)
    rows.append([
        "THIS build, THIS run (init median; RSS at init / after SQS run)",
        f"{c['init_ms']['median']:.1f} ms",
        f"{c['rss_after_init_bytes']['median'] / MIB:.1f} / {sqs['peak_rss_bytes'] / MIB:.1f} MiB" if sqs
        else f"{c['rss_after_init_bytes']['median'] / MIB:.1f} MiB",
        mib(b["zip_bytes"]) if b.get("zip_bytes") is not None else "-",
    ])
    out.append(table(["build", "init", "peak RSS", "zip"], rows))
    out.append("")
    if res["problems"]:
        out.append("PROBLEMS (the figures above are not trustworthy):")
        out.extend(f"  - {p}" for p in res["problems"])
    else:
        out.append("All responses were successes; every PUT was checked and counted; one AssumeRole per process.")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def prepare_binary(path: Path, workdir: Path) -> dict:
    info: dict = {"source": str(path)}
    target = workdir / "task" / "bootstrap"
    target.parent.mkdir()
    if zipfile.is_zipfile(path):
        info["zip_bytes"] = path.stat().st_size
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "bootstrap" not in names:
                raise BenchError(f"{path} has no 'bootstrap' at its root (has {names[:5]})")
            zi = z.getinfo("bootstrap")
            mode = (zi.external_attr >> 16) & 0o777
            info["zip_entries"] = names
            info["bootstrap_mode_in_zip"] = oct(mode)
            with z.open(zi) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    else:  # a bare binary (e.g. a debug build while developing the bench)
        info["zip_bytes"] = None
        shutil.copyfile(path, target)
    target.chmod(0o755)
    info["bootstrap_bytes"] = target.stat().st_size
    info["bootstrap_sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--function-zip", required=True, type=Path,
                    help="the release bootstrap.zip (a bare bootstrap binary is accepted too)")
    ap.add_argument("--invocations", type=int, default=200, help="measured warm invocations per scenario (200)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up invocations per scenario (5)")
    ap.add_argument("--cold-starts", type=int, default=20, help="fresh processes for the cold-start figures (20)")
    ap.add_argument("--logging-invocations", type=int, default=200,
                    help="invocations per process of the logging comparison; 0 skips it (200)")
    ap.add_argument("--json", type=Path, help="also write every figure as JSON here")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds any single step may take (30)")
    ap.add_argument("--max-seconds", type=int, default=1200, help="abort the whole run after this long (1200)")
    ap.add_argument("--verbose", action="store_true", help="print the first requests the fake AWS endpoint saw")
    args = ap.parse_args()
    if args.invocations < 1 or args.cold_starts < 1 or args.warmup < 1:
        ap.error("--invocations, --cold-starts and --warmup must be at least 1")
    if not args.function_zip.is_file():
        ap.error(f"{args.function_zip} does not exist; build it with `make build-host`")

    # The fakes are Python threads: hand the GIL over quickly so that a waiting
    # request isn't held up by the default 5 ms switch interval.
    sys.setswitchinterval(0.0005)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, _on_signal)
    signal.alarm(args.max_seconds)  # a hard bound on the whole run

    workdir = Path(tempfile.mkdtemp(prefix="s3-writer-bench-"))
    atexit.register(shutil.rmtree, workdir, True)
    atexit.register(_cleanup)  # atexit is LIFO: children are killed before their directory goes
    problems: list[str] = []
    aws = AwsState()
    res: dict = {
        "started_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "environment": {
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "loadavg_before": os.getloadavg(),
        },
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "reference_guide_section_6": [dict(zip(["build", "init", "peak_rss", "zip"], r)) for r in REFERENCE],
    }
    try:
        res["binary"] = prepare_binary(args.function_zip, workdir)
        binary = workdir / "task" / "bootstrap"
        aws_server = start_server(AwsHandler, aws)
        aws_port = aws_server.server_address[1]

        res["host_trust_store"] = host_trust_store()
        variant = one_cert_trust_store(workdir)
        modes = [LOG_WARN] + ([variant[0]] if variant else [])
        print(f"cold starts: {args.cold_starts} x {len(modes)} ...", file=sys.stderr, flush=True)
        cold = measure_cold(binary, aws, aws_port, workdir, args.cold_starts, args.timeout, modes)
        res["cold"] = cold[0]
        if variant:
            res["cold_one_cert"] = cold[1]
            res["cold_one_cert"]["certificate_from"] = variant[1]

        res["warm"] = []
        for name in SCENARIOS:
            print(f"warm: {name} ...", file=sys.stderr, flush=True)
            res["warm"] += measure_warm(name, binary, aws, aws_port, workdir, args.invocations,
                                        args.warmup, [LOG_WARN], args.timeout, "warm")
        res["logging"] = []
        if args.logging_invocations > 0:
            print("logging comparison ...", file=sys.stderr, flush=True)
            res["logging"] = measure_warm("sqs", binary, aws, aws_port, workdir, args.logging_invocations,
                                          args.warmup, [LOG_WARN, LOG_DEPLOYED], args.timeout, "logging")
        for c in (res["cold"], res.get("cold_one_cert")):
            if c is None:
                continue
            if c["assume_role_calls"] != c["runs"]:
                problems.append(f"cold starts ({c['environment']}): {c['assume_role_calls']} AssumeRole calls "
                                f"for {c['runs']} processes")
            if c["puts_created"] != c["puts_expected"]:
                problems.append(f"cold starts ({c['environment']}): {c['puts_created']} PUTs for {c['puts_expected']} events")
        for w in res["warm"] + res["logging"]:
            tag = f"{w['scenario']} ({w['logging']})"
            if w["assume_role_calls"] != w["assume_role_expected"]:
                problems.append(f"{tag}: {w['assume_role_calls']} AssumeRole calls by {w['processes_in_group']} "
                                f"process(es) (want one each)")
            if w["puts_created"] != w["puts_expected"] or w["puts_answered_412"]:
                problems.append(f"{tag}: {w['puts_created']} PUTs created, {w['puts_answered_412']} answered 412, "
                                f"{w['puts_expected']} expected")
    except BenchError as e:
        problems.append(f"ABORTED: {e}")
    finally:
        _cleanup()
        res["environment"]["loadavg_after"] = os.getloadavg()
        signal.alarm(0)

    problems += [f"AssumeRole request: {p}" for p in aws.assume_role_bad[:5]]
    problems += [f"fake S3 refused: {p}" for p in aws.put_problems[:5]]
    problems += [f"request the fakes don't serve: {p}" for p in aws.unexpected[:5]]
    res["problems"] = problems
    res["fake_aws_totals"] = aws.snapshot()

    if args.verbose:
        print("first requests seen by the fake AWS endpoint:\n  " + "\n  ".join(aws.first_requests), file=sys.stderr)
    if "cold" in res and "binary" in res:
        res.setdefault("warm", [])
        print(render(res))
    else:
        print("benchmark aborted:\n  " + "\n  ".join(problems))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
