#!/usr/bin/env python3
"""Network fuzzer: malformed gateway frames and HTTP requests against a live `serve --record`.

    Tools/fuzz/netfuzz.py [--binary PATH] [--frames 10000] [--requests 10000] [--seed 1] [--workers 4]

Starts `gatewaytape serve --port 0 --record TMP/run.sqlite --no-rate-limit` on 127.0.0.1 (loopback
only), then sends, each on a fresh connection:

- frames: truncated and invalid JSON, non-UTF-8 text, non-objects, wrong types and huge numbers in
  every IDENTIFY and RESUME field, unknown and non-integer opcodes, oversized payloads (one frame or
  fragments), fragmented messages, stray continuations, control frames (fragmented, too long),
  unmasked frames, reserved bits and opcodes. Each must end in the close code its class documents
  (4001, 4002, 4003, ...) or, for input that is only unusual, a protocol answer (READY, op 9, an ACK).
- HTTP requests: broken and wrong-typed JSON bodies, wrong methods, unknown routes and sessions,
  odd paths, bad Content-Length, to the control API and the REST routes. Each must get a 4xx (or,
  when the input happens to be valid, a 2xx) whose body is a JSON object; never a 5xx, a non-JSON
  body or a dropped connection.

At the end the server must still answer /healthz, exit 0 on SIGTERM, and the recording must pass
`PRAGMA integrity_check`. Prints the counts per class; exit 1 on any failure. Python stdlib only.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"
TIMEOUT = 10.0

# ---------------------------------------------------------------------------------------------
# WebSocket, by hand (so that every malformed shape can be sent)


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 65536:
        head += bytes([mask_bit | 126]) + struct.pack(">H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Gateway:
    """One raw WebSocket connection to the gateway."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /?v=10&encoding=json HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"no upgrade: {head[:80]!r}")

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("TCP closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def next(self) -> tuple[int, bytes]:
        """The next server frame: (opcode, payload)."""
        b0, b1 = self._read(2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        return b0 & 0x0F, self._read(length)

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass  # the server may close while a big frame is still going out

    def outcome(self) -> tuple[str, object]:
        """Reads until a close frame or an answer: ("close", code), ("op", n) or ("drop", reason)."""
        try:
            while True:
                opcode, payload = self.next()
                if opcode == 0x8:
                    return "close", struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                if opcode == 0xA:
                    return "pong", None
                if opcode in (0x1, 0x2):
                    op = json.loads(payload)["op"]
                    if op == 0 and json.loads(payload).get("t") == "GUILD_CREATE":
                        continue
                    return "op", op
        except (OSError, ConnectionError, ValueError) as error:
            return "drop", str(error)

    def close(self) -> None:
        self.sock.close()


IDENTIFY = {"token": "netfuzz", "intents": 513, "properties": {"os": "linux", "browser": "netfuzz", "device": "netfuzz"}}

# Values of the wrong type or out of range, for every field.
ODD_VALUES = [None, True, -1, 0, 2**63, -(2**63) - 1, 10**400, 1.5, "", "x" * 300, "\u0000", [], [1, 2, 3], {}, {"a": 1}]


def huge_number_text(digits: int) -> str:
    return "9" * digits


def text(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def frame_case(rng: random.Random, index: int) -> tuple[str, list[bytes], bool, set]:
    """A malformed-input case: (class, frames to send after HELLO, identify first?, acceptable outcomes).

    Outcomes are ("close", code), ("op", n) or ("pong", None)."""
    decode = {("close", 4002)}
    kind = index % 16
    if kind == 0:
        good = text({"op": 2, "d": IDENTIFY})
        return "truncated JSON", [frame(1, good[: rng.randrange(1, len(good))])], False, decode
    if kind == 1:
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        return "random bytes", [frame(rng.choice([1, 2]), junk)], False, decode | {("close", 4001), ("close", 4003)}
    if kind == 2:
        payload = b'{"op":1,"d":"\xff\xfe' + bytes([rng.randrange(128, 256)]) + b'"}'
        return "non-UTF-8 text", [frame(1, payload)], False, decode
    if kind == 3:
        value = rng.choice([[], 1, "op", None, True, [{"op": 1}]])
        return "not an object", [frame(1, text(value))], False, decode
    if kind == 4:
        op = rng.choice(["1", 1.5, None, [], {}, 2**64, -1])
        return "op of the wrong type", [frame(1, text({"op": op, "d": None}))], False, decode | {("close", 4001)}
    if kind == 5:
        op = rng.choice([5, 7, 9, 10, 11, 12, 42, 99, 2**31])
        return "unknown opcode", [frame(1, text({"op": op, "d": None}))], False, {("close", 4001)}
    if kind in (6, 7):
        field = rng.choice(["token", "intents", "properties", "shard", "compress", "large_threshold", "presence"])
        d = dict(IDENTIFY)
        d[field] = rng.choice(ODD_VALUES)
        if rng.random() < 0.2:
            d.pop(field)
        ok = {("close", code) for code in (4002, 4004, 4010, 4013, 4014)} | {("op", 0)}
        return f"IDENTIFY {field}", [frame(1, text({"op": 2, "d": d}))], False, ok
    if kind == 8:
        field = rng.choice(["token", "session_id", "seq"])
        d = {"token": "netfuzz", "session_id": "nope", "seq": 1}
        d[field] = rng.choice(ODD_VALUES)
        ok = {("close", 4002), ("close", 4004), ("close", 4007), ("op", 9)}
        return f"RESUME {field}", [frame(1, text({"op": 6, "d": d}))], False, ok
    if kind == 9:
        digits = rng.choice([20, 40, 400, 3000])
        payload = ('{"op":2,"d":{"token":"netfuzz","intents":' + huge_number_text(digits)
                   + ',"properties":{"os":"linux","browser":"x","device":"x"}}}').encode()
        ok = {("close", 4013), ("close", 4002)}
        return "huge number", [frame(1, payload)], False, ok
    if kind == 10:
        size = rng.choice([4097, 8000, 70000, 1 << 20])
        big = text({"op": 1, "d": "x" * size})
        return "oversized frame", [frame(1, big)], False, decode
    if kind == 11:
        big = text({"op": 1, "d": "x" * rng.choice([5000, 20000])})
        parts = [big[i:i + 1000] for i in range(0, len(big), 1000)]
        frames = [frame(1, parts[0], fin=False)] + [frame(0, p, fin=False) for p in parts[1:-1]] + [frame(0, parts[-1])]
        return "oversized fragments", frames, False, decode
    if kind == 12:
        message = text({"op": 1, "d": rng.randrange(100)})
        cut = rng.randrange(1, len(message))
        frames = [frame(1, message[:cut], fin=False)]
        if rng.random() < 0.5:
            frames.append(frame(9, b"ping"))  # a control frame between fragments is allowed
        frames.append(frame(0, message[cut:]))
        return "fragmented heartbeat", frames, False, {("op", 11), ("pong", None)}
    if kind == 13:
        return "stray continuation", [frame(0, text({"op": 1, "d": None}))], False, decode
    if kind == 14:
        choice = rng.randrange(4)
        if choice == 0:
            return "fragmented ping", [frame(9, b"x", fin=False)], False, decode
        if choice == 1:
            return "long ping", [frame(9, b"x" * 200)], False, decode
        if choice == 2:
            return "reserved opcode", [frame(rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"{}")], False, decode
        return "reserved bits", [frame(1, text({"op": 1, "d": None}), rsv=rng.randrange(1, 8))], False, decode
    # kind 15: after IDENTIFY, commands with odd fields, or a frame without a mask
    if rng.random() < 0.3:
        return "unmasked frame", [frame(1, text({"op": 1, "d": None}), mask=False)], False, decode
    op = rng.choice([3, 4, 8])
    d = {"guild_id": rng.choice(ODD_VALUES), "channel_id": rng.choice(ODD_VALUES), "query": rng.choice(ODD_VALUES),
         "limit": rng.choice(ODD_VALUES), "status": rng.choice(ODD_VALUES), "nonce": rng.choice(ODD_VALUES)}
    ok = {("close", 4002)} | {("op", 0)} | {("op", 11)}
    return f"op {op} fields", [frame(1, text({"op": op, "d": d})), frame(1, text({"op": 1, "d": None}))], True, ok


def run_frame_case(port: int, seed: int, index: int) -> tuple[str, bool, str]:
    rng = random.Random(seed * 1_000_003 + index)
    name, frames, identify_first, ok = frame_case(rng, index)
    try:
        gateway = Gateway(port)
    except (OSError, ConnectionError) as error:
        return name, False, f"connect: {error}"
    try:
        opcode, payload = gateway.next()
        if opcode != 1 or json.loads(payload)["op"] != 10:
            return name, False, "no HELLO"
        if identify_first:
            gateway.send(frame(1, text({"op": 2, "d": IDENTIFY})))
            if gateway.outcome() != ("op", 0):
                return name, False, "no READY"
        for data in frames:
            gateway.send(data)
        result = gateway.outcome()
        return name, result in ok, f"{result}"
    except (OSError, ConnectionError, ValueError) as error:
        return name, False, f"{error}"
    finally:
        gateway.close()


# ---------------------------------------------------------------------------------------------
# HTTP


def http(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str] | None = None,
         raw: bytes | None = None) -> tuple[int | None, bytes, str]:
    """One request on a fresh connection: (status, body, content-type); status None when dropped."""
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        if raw is None:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
            for key, value in (headers or {}).items():
                lines.append(f"{key}: {value}")
            if body is not None and not any(k.lower() == "content-length" for k in (headers or {})):
                lines.append(f"Content-Length: {len(body)}")
            raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + (body or b"")
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    if not data.startswith(b"HTTP/1.1 "):
        return None, data, ""
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    content_type = ""
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-type":
            content_type = value.strip().decode()
        if key.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body_bytes = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body_bytes += rest[:size]
            rest = rest[size + 2:]
        rest = body_bytes
    return status, rest, content_type


PATHS = [
    "/api/control/sessions", "/api/control/sessions/{id}", "/api/control/sessions/{id}/dispatch",
    "/api/control/sessions/{id}/disconnect", "/api/control/sessions/{id}/invalid-session",
    "/api/control/sessions/{id}/heartbeat/stop-acks", "/api/control/heartbeat-interval",
    "/api/control/sessions/{id}/flags", "/api/control/nothing-here",
    "/api/v10/channels/1/messages", "/api/v10/channels/{snowflake}/messages/2/reactions/%F0%9F%91%8D/@me",
    "/api/v10/interactions/1/tok/callback", "/api/v10/users/@me", "/api/v9/gateway/bot", "/api/v10/no/such/route",
    "/api/v10/guilds/{snowflake}/members", "/api/v10/applications/1/commands",
]
BODIES = [
    b"", b"{", b"[]", b"null", b"1", b'"x"', b"{}", b'{"code":"4000"}', b'{"code":99999}', b'{"interval":-5}',
    b'{"event":5,"data":[]}', b'{"resumable":"yes"}', b'{"name":' + b"9" * 500 + b"}", b'{"content":' + b"[" * 300 + b"}",
    b'{"content":"\xff\xfe"}', b'{"a":1}' * 3, bytes(range(256)),
]


def http_case(rng: random.Random, index: int, session: str) -> tuple[str, tuple]:
    kind = index % 6
    path = rng.choice(PATHS).replace("{id}", rng.choice([session, "nope", "%00", "..", "x" * 300]))
    path = path.replace("{snowflake}", rng.choice(["1", "abc", "99999999999999999999999", "-1"]))
    if kind == 0:
        return "bad JSON body", ("POST", path, rng.choice(BODIES), {"Content-Type": "application/json"})
    if kind == 1:
        return "wrong method", (rng.choice(["PATCH", "PUT", "DELETE", "OPTIONS", "FOO"]), path, b"{}", {})
    if kind == 2:
        body = json.dumps({rng.choice(["code", "event", "data", "interval", "content", "name", "token", "resumable"]):
                           rng.choice(ODD_VALUES[:-2] + [[{}], {"x": []}])}).encode()
        return "wrong types", ("POST", path, body, {"Content-Type": "application/json"})
    if kind == 3:
        odd = rng.choice(["/api/v10/../control/sessions", "/api/v99/users/@me", "/api/control/sessions?x=%zz",
                          "/api//control//sessions", "/api/v10/channels/1/messages?" + "a=1&" * 200, "/api/control/" + "x" * 2000])
        return "odd path", (rng.choice(["GET", "POST"]), odd, b"{}", {})
    if kind == 4:
        body = rng.choice([b"--x\r\nContent-Disposition: form-data\r\n\r\n{\r\n--x--",
                           b"--x\r\nCon\xfftent-Disposition: form-data\r\n\r\n{}\r\n--x--\r\n",  # non-ASCII header name
                           b"--x\r\n\xc3\xa9: a\r\n\r\n--x\r\nContent-Disposition: form-data; filename=\"\xc3\xa9.txt\"\r\n\r\nx\r\n--x--"])
        return "multipart garbage", ("POST", "/api/v10/channels/1/messages", body,
                                     {"Content-Type": rng.choice(["multipart/form-data; boundary=x", "multipart/form-data", "text/plain"])})
    return "bad headers", ("POST", path, b'{"name":"x"}',
                           {"Content-Type": rng.choice(["application/json", "text/html", "", "application/json; charset=latin1"]),
                            "Authorization": rng.choice(["Bot", "Bearer", "x" * 1000, ""])})


def run_http_case(port: int, seed: int, index: int, session: str) -> tuple[str, bool, str]:
    rng = random.Random(seed * 2_000_003 + index)
    name, (method, path, body, headers) = http_case(rng, index, session)
    try:
        status, data, content_type = http(port, method, path, body, headers)
    except OSError as error:
        return name, False, f"{error}"
    if status is None:
        return name, False, f"no HTTP answer to {method} {path[:60]}"
    if status >= 500:
        return name, False, f"{status} to {method} {path[:60]}: {data[:100]!r}"
    if status >= 300 and status < 400:
        return name, True, "redirect"
    if status in (204,) or (status < 300 and not data):
        return name, True, f"{status}"
    try:
        parsed = json.loads(data)
    except ValueError:
        return name, False, f"{status} with a non-JSON body to {method} {path[:60]}: {data[:80]!r}"
    if status >= 400 and not isinstance(parsed, dict):
        return name, False, f"{status} body is not an object"
    return name, True, f"{status}"


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.environ.get("GATEWAYTAPE_BIN"))
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    binary = args.binary or os.path.join(
        subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, check=True, capture_output=True, text=True).stdout.strip(),
        "gatewaytape")
    folder = tempfile.mkdtemp(prefix="netfuzz-")
    record = os.path.join(folder, "run.sqlite")
    server = subprocess.Popen([binary, "serve", "--host", HOST, "--port", "0", "--record", record, "--no-rate-limit",
                               "--heartbeat-interval", "60000"],
                              stdout=subprocess.PIPE, stderr=open(os.path.join(folder, "server.log"), "wb"))
    line = server.stdout.readline().decode()
    port = int(line.rsplit(":", 1)[1])
    print(f"netfuzz: server on port {port}, recording {record}", file=sys.stderr)
    failures: Counter = Counter()
    lock = threading.Lock()

    def tally(results, label: str) -> None:
        counts: Counter = Counter()
        bad: Counter = Counter()
        for name, ok, detail in results:
            counts[name] += 1
            if not ok:
                bad[name] += 1
                # Failures grouped by shape: ids, long segments and bodies folded.
                shape = re.sub(r"/(?!api\b|control\b|sessions\b|channels\b|messages\b|v\d+\b)[^/\s:]+", "/…", detail)
                shape = re.sub(r": b'.*$", "", shape)
                with lock:
                    failures[f"{label} {name}: {shape}"] += 1
        total = sum(counts.values())
        print(f"{label}: {total} sent, {total - sum(bad.values())} answered as documented, {sum(bad.values())} not")
        for name in sorted(counts):
            print(f"  {name:28} {counts[name]:6}" + (f"  ({bad[name]} not)" if bad[name] else ""))

    started = time.monotonic()
    session = json.loads(http(port, "POST", "/api/control/sessions", b'{"name":"netfuzz"}',
                              {"Content-Type": "application/json"})[1])["id"]
    with ThreadPoolExecutor(args.workers) as pool:
        tally(list(pool.map(lambda i: run_frame_case(port, args.seed, i), range(args.frames))), "frames")
        tally(list(pool.map(lambda i: run_http_case(port, args.seed, i, session), range(args.requests))), "requests")
    elapsed = time.monotonic() - started

    healthy = http(port, "GET", "/healthz", None)[0] == 200
    server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        status = "hung"
    db = sqlite3.connect(f"file:{record}?mode=ro", uri=True)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    frames = db.execute("SELECT count(*) FROM frames").fetchone()[0]
    db.close()
    print(f"server: /healthz {'200' if healthy else 'FAILED'} at the end, exit status {status} on SIGTERM; "
          f"recording: integrity_check {integrity}, {frames} frames; {elapsed:.0f} s")
    for failure, count in failures.most_common(25):
        print(f"  {count:6}  {failure}")
    ok = not failures and healthy and status == 0 and integrity == "ok"
    if ok:
        import shutil
        shutil.rmtree(folder)
    else:
        print(f"netfuzz: kept {folder} (server.log, run.sqlite)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
