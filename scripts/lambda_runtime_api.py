"""A local Lambda Runtime API for one `bootstrap` process: the way Lambda's custom runtime
(``provided.al2023``) starts a function and hands it events, served on 127.0.0.1.

Shared by ``benches/run.py`` (which measures the process as each ``GET /next`` arrives) and
``tests/arm64`` (which runs the arm64 build under qemu-user behind it). Python 3.11 standard
library only.

    p = Process([str(bootstrap)], env, workdir, "name", timeout=30)   # env: the function's, minus
    body, wall_ms, cpu_ms = p.invoke(b'{"action":"whoami"}')          #  AWS_LAMBDA_RUNTIME_API
    p.stop()

The API answers ``GET .../invocation/next`` with the next queued event (and its request id,
deadline and invoked function ARN headers), takes ``POST .../invocation/<id>/response`` and
``.../error``, and ``POST .../init/error``.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RUNTIME = "/2018-06-01/runtime"
DEFAULT_FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:bench"


class Misbehaved(Exception):
    """A function did something wrong: exited, timed out, or failed an invocation."""


def cpu_ns(pid: int) -> int:
    """CPU time of all live threads of `pid`: the first field of each /proc/PID/task/*/schedstat (ns)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just exited
    return total


def hwm_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:")), 0)  # 0: exiting


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Runtime API and S3
    disable_nagle_algorithm = True  # no delayed-ACK stalls

    def log_message(self, *args):
        pass

    def body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                out += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            return out
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def serve(handler: type, **attrs) -> ThreadingHTTPServer:
    """`handler` (with `attrs` as class attributes) on a free loopback port, in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (handler,), attrs))
    server.daemon_threads = True
    server.handle_error = lambda *a: None if isinstance(sys.exc_info()[1], OSError) else \
        ThreadingHTTPServer.handle_error(server, *a)  # a peer killed mid-request is expected; nothing else
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


class Process:
    """One `bootstrap` process (`command`, e.g. ``[bootstrap]`` or a qemu-user line) behind its own
    Runtime API. CPU and VmHWM are read as each `GET /next` arrives: the function is then parked,
    waiting for an event. `env` is the process's whole environment; AWS_LAMBDA_RUNTIME_API is added."""

    def __init__(self, command: list[str], env: dict, workdir: Path, session: str, timeout: float,
                 cwd: Path | None = None, function_arn: str = DEFAULT_FUNCTION_ARN):
        self.cond, self.timeout, self.session, self.function_arn = threading.Condition(), timeout, session, function_arn
        self.polls: list[tuple[int, int, int]] = []  # (monotonic ns, CPU ns, VmHWM) per /next
        self.events: collections.deque[tuple[str, bytes]] = collections.deque()  # waiting for a /next
        self.answers: dict[str, tuple[str, bytes, int]] = {}  # request id -> (kind, body, ns)
        self.closing, self.started = False, threading.Event()
        self.runtime = serve(RuntimeHandler, proc=self)
        self.log = workdir / f"{session}.log"
        env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.runtime.server_address[1]}"}
        with open(self.log, "wb") as log:
            self.spawn_ns = time.monotonic_ns()
            self.popen = subprocess.Popen(command, env=env, cwd=cwd or Path(command[-1]).parent,
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        self.started.set()
        PROCESSES.append(self)

    def wait(self, predicate, what: str) -> None:
        end = time.monotonic() + self.timeout
        with self.cond:
            while not predicate():
                if self.popen.poll() is not None or time.monotonic() > end:
                    tail = self.log.read_text(errors="replace")[-1500:]
                    state = f"exited {self.popen.returncode}" if self.popen.returncode is not None else "timed out"
                    raise Misbehaved(f"{self.session} {state} {what}\n{tail}")
                self.cond.wait(0.05)

    def invoke(self, payload: bytes) -> tuple[bytes, float, float]:
        """One event, from parked in /next to parked again: (response body, wall ms, CPU ms)."""
        self.wait(lambda: self.polls, "before its first /next")
        n, request_id = len(self.polls), str(uuid.uuid4())
        with self.cond:
            self.events.append((request_id, payload))
            self.cond.notify_all()
        self.wait(lambda: request_id in self.answers and len(self.polls) > n, f"answering {request_id}")
        kind, body, done_ns = self.answers[request_id]
        if kind != "response":
            raise Misbehaved(f"{self.session}: invocation failed: {body[:400]!r}")
        return body, (done_ns - self.sent_ns) / 1e6, (self.polls[n][1] - self.polls[n - 1][1]) / 1e6

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self.runtime.shutdown()
        self.runtime.server_close()
        if self in PROCESSES:
            PROCESSES.remove(self)


PROCESSES: list[Process] = []  # live ones, for an atexit cleanup


class RuntimeHandler(Handler):
    proc: Process

    def do_GET(self):
        p = self.proc
        now = time.monotonic_ns()
        p.started.wait()  # a fast start can poll before Popen has returned here
        sample = (now, cpu_ns(p.popen.pid), hwm_bytes(p.popen.pid))
        with p.cond:
            p.polls.append(sample)
            p.cond.notify_all()
            while not p.events and not p.closing:
                p.cond.wait(0.1)
            event = p.events.popleft() if p.events else None
        if event is None:
            self.close_connection = True
            return
        p.sent_ns = time.monotonic_ns()
        self.reply(200, event[1], {
            "Content-Type": "application/json", "Lambda-Runtime-Aws-Request-Id": event[0],
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
            "Lambda-Runtime-Invoked-Function-Arn": p.function_arn,
        })

    def do_POST(self):
        body, parts, now = self.body(), self.path.split("/"), time.monotonic_ns()
        with self.proc.cond:  # .../invocation/<id>/response or /error, or .../init/error
            self.proc.answers[parts[-2]] = (parts[-1], body, now)
            self.proc.cond.notify_all()
        self.reply(202, b'{"status":"OK"}')
