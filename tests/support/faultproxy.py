#!/usr/bin/env python3
"""A loopback HTTP proxy in front of the emulator that injects faults (tests/faults.rs).

    python faultproxy.py --state DIR/emulator.json [--seed N] [--rate 0.3] [--cover-each] [--verbose]

Listens on plain HTTP at 127.0.0.1:<free port> (printed first on stdout as ``{"port": N}``) and
forwards each request to the emulator's HTTPS endpoint, trusting only its CA bundle, with method,
path, query, headers (Host included: SigV4 signs it) and body bytes unchanged. While faults are
on, a seeded RNG picks requests at ``--rate`` and answers them with one of:

    slowdown_503   503 SlowDown (S3 XML), not forwarded
    internal_500   500 InternalError (S3 XML), not forwarded
    reset_before   TCP reset (SO_LINGER 0), not forwarded
    reset_after    forwarded (the emulator stores the object), then reset; PUT/POST only
    throttled      400 Throttling (STS XML); AssumeRole only

``--cover-each`` first gives each kind to the first request that can take it, so every kind is
exercised whatever the seed. Control on the same port: ``POST /__faults__/on``, ``POST
/__faults__/off``, ``GET /__faults__`` (JSON counters). Exits when stdin closes, when its parent
dies, or after ``--max-seconds``. Standard library only; talks only to 127.0.0.1.
"""

import argparse
import http.client
import http.server
import io
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

KINDS = ("slowdown_503", "internal_500", "reset_before", "reset_after", "throttled")
S3_ERROR = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{}</Code><Message>{}</Message>'
            '<RequestId>faultproxy</RequestId><HostId>faultproxy</HostId></Error>')
CANNED = {  # kind -> status, reason, content type, body
    "slowdown_503": (503, "Service Unavailable", "application/xml",
                     S3_ERROR.format("SlowDown", "Please reduce your request rate.")),
    "internal_500": (500, "Internal Server Error", "application/xml",
                     S3_ERROR.format("InternalError", "We encountered an internal error. Please try again.")),
    "throttled": (400, "Bad Request", "text/xml",
                  '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                  '<Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
                  '<RequestId>faultproxy</RequestId></ErrorResponse>'),
}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "upgrade"}
FRAMING = {"host", "content-length", "transfer-encoding", "content-encoding", "expect", "x-amz-content-sha256"}


class Faults:
    def __init__(self, seed: int, rate: float, cover_each: bool):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.rate, self.cover_each, self.on = rate, cover_each, True
        self.counts = {"requests": 0, "forwarded": 0, "upstream_errors": 0, "assume_role": 0,
                       "answered_412": 0}
        self.injected = dict.fromkeys(KINDS, 0)

    def choose(self, kinds: tuple) -> str | None:
        """The fault for one request that can take ``kinds``, or None; counted as injected."""
        with self.lock:
            self.counts["requests"] += 1
            if not self.on:
                return None
            uncovered = [k for k in kinds if self.injected[k] == 0] if self.cover_each else []
            if uncovered:
                kind = uncovered[0]
            elif self.rng.random() < self.rate:
                kind = self.rng.choice(kinds)
            else:
                return None
            self.injected[kind] += 1
            return kind

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {"faults_on": self.on, "rate": self.rate, **self.counts, "injected": dict(self.injected)}


def make_handler(faults: Faults, upstream_port: int, context: ssl.SSLContext, verbose: bool):
    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, and `Expect: 100-continue` answered here

        def log_message(self, *args):  # quiet: the test prints the figures
            pass

        def handle_request(self):
            body = self.read_body()
            if self.path.startswith("/__faults__"):
                return self.control()
            assume_role = self.command == "POST" and (
                "AssumeRole" in self.headers.get("X-Amz-Target", "")
                or "AssumeRole" in urllib.parse.parse_qs(body.decode("latin-1")).get("Action", []))
            if assume_role:
                faults.count("assume_role")
                kinds = ("throttled", "reset_before")
            elif self.command in ("PUT", "POST"):
                kinds = ("slowdown_503", "internal_500", "reset_before", "reset_after")
            else:
                kinds = ("slowdown_503", "internal_500", "reset_before")
            kind = faults.choose(kinds)
            if verbose and kind:
                sys.stderr.write(f"faultproxy: {self.command} {self.path}: {kind}\n")
            if kind in CANNED:
                return self.answer(*CANNED[kind])
            if kind == "reset_before":
                return self.reset()
            response = self.forward(body)
            if response is None:
                return self.answer(502, "Bad Gateway", "text/plain", "faultproxy: the emulator did not answer")
            if kind == "reset_after":
                return self.reset()
            status, reason, headers, payload = response
            lines = [f"HTTP/1.1 {status} {reason}"]
            lines += [f"{k}: {v}" for k, v in headers if k.lower() not in HOP_BY_HOP | {"transfer-encoding"}]
            if not any(k.lower() == "content-length" for k, _ in headers) and self.command != "HEAD":
                lines.append(f"Content-Length: {len(payload)}")  # it came chunked: send it whole
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
            self.wfile.flush()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = handle_request

        def read_body(self) -> bytes:
            """The body exactly as sent: Content-Length bytes, or the raw chunked framing."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                raw = bytearray()
                while True:
                    line = self.rfile.readline(65537)
                    raw += line
                    size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while True:  # trailers, up to the empty line
                            trailer = self.rfile.readline(65537)
                            raw += trailer
                            if trailer in (b"\r\n", b"\n", b""):
                                return bytes(raw)
                    raw += self.rfile.read(size + 2)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def forward(self, body: bytes):
            """One request to the emulator on a fresh TLS connection: (status, reason, headers, body)."""
            connection = http.client.HTTPSConnection("127.0.0.1", upstream_port, context=context, timeout=30)
            try:
                connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        connection.putheader(name, value)
                connection.endheaders(body if body else None)
                answer = connection.getresponse()
                payload = answer.read()
                faults.count("forwarded")
                if answer.status == 412:
                    faults.count("answered_412")
                if verbose:
                    framing = {k: v for k, v in self.headers.items() if k.lower() in FRAMING}
                    sys.stderr.write(f"faultproxy: {self.command} {self.path} {framing} -> {answer.status}\n")
                return answer.status, answer.reason, answer.getheaders(), payload
            except (OSError, http.client.HTTPException) as error:
                faults.count("upstream_errors")
                print(f"faultproxy: {self.command} {self.path}: {error!r}", file=sys.stderr)
                return None
            finally:
                connection.close()

        def answer(self, status: int, reason: str, content_type: str, text: str = ""):
            data = b"" if self.command == "HEAD" else text.encode()
            head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(data)}\r\nx-amz-request-id: faultproxy\r\n\r\n")
            self.wfile.write(head.encode() + data)
            self.wfile.flush()

        def reset(self):
            """Close with SO_LINGER 0: the client sees a TCP RST, no response."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            for stream in (self.rfile, self.wfile):
                try:
                    stream.close()
                except OSError:
                    pass
            self.connection.close()  # the last reference: now the fd closes and the RST goes out
            self.rfile = self.wfile = io.BytesIO()  # what the server does after this: harmless

        def control(self):
            action = self.path[len("/__faults__"):].strip("/")
            if self.command == "POST" and action in ("on", "off"):
                with faults.lock:
                    faults.on = action == "on"
            elif not (self.command == "GET" and action == ""):
                return self.answer(404, "Not Found", "text/plain", "GET /__faults__, POST /__faults__/on|off")
            self.answer(200, "OK", "application/json", json.dumps(faults.snapshot()))

    return Proxy


def watch(max_seconds: float) -> None:
    """Exit when stdin reaches EOF, the parent dies or the lifetime is over."""
    parent, deadline = os.getppid(), time.monotonic() + max_seconds

    def stdin_closed():
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=stdin_closed, daemon=True).start()
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.25)
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", required=True, help="the emulator's emulator.json")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--cover-each", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--verbose", action="store_true", help="log each forwarded request to stderr")
    args = parser.parse_args()
    with open(args.state) as f:
        state = json.load(f)
    endpoint = urllib.parse.urlsplit(state["endpoint"])
    if endpoint.scheme != "https" or endpoint.hostname != "127.0.0.1":
        raise SystemExit(f"faultproxy: only an https://127.0.0.1 emulator is supported, not {state['endpoint']}")
    context = ssl.create_default_context(cafile=state["ca_bundle"])
    faults = Faults(args.seed, args.rate, args.cover_each)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(faults, endpoint.port, context, args.verbose))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    watch(args.max_seconds)


if __name__ == "__main__":
    main()
