"""Helpers for the gatewaytape interop suite.

* `GatewayTape`: one `gatewaytape serve --port 0` subprocess, started and stopped by the
  `server` fixture in conftest.py, with a control-API client (`.control`).
* `Control`: SPEC §5's calls over plain urllib (loopback, a few milliseconds each); every
  method also exists as `a<name>` running in a worker thread, for use inside the event loop.
* `point_discord_at(server)`: makes discord.py talk to the mock (REST base and gateway URL).
* `Bot`: a discord.py client under test, running in the test's event loop, that records every
  event the library dispatches (on_ready, on_message, on_resumed, on_socket_raw_send, ...).

Assertions are made on what discord.py observes and on the control API's view only.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import select
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import discord
import discord.gateway
import discord.http
import yarl

# --------------------------------------------------------------------------- control API


class ControlError(AssertionError):
    """A control-API call answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        self.method, self.path, self.status, self.body = method, path, status, body
        super().__init__(f"control API {method} {path} answered {status}: {body!r}")


class Control:
    """A tiny client for SPEC §5 (JSON over HTTP)."""

    def __init__(self, base: str, token: Optional[str] = None, timeout: float = 10.0, cafile: Optional[str] = None):
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout
        # an https server (serve --tls-cert) with a certificate from a test CA
        self.ssl_context = ssl.create_default_context(cafile=cafile) if cafile else None

    # -- transport
    def request(self, method: str, path: str, body: Any = None, expect: Tuple[int, ...] = (200, 201, 204)) -> Tuple[int, Any]:
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.ssl_context) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        if expect and status not in expect:
            raise ControlError(method, path, status, payload)
        return status, payload

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self.request(method, path, body)[1]

    # -- SPEC §5
    def create_session(self, name: Optional[str] = None, token: Optional[str] = None, fixture: Any = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if token is not None:
            body["token"] = token
        if fixture is not None:
            body["fixture"] = fixture
        status, payload = self.request("POST", "/api/control/sessions", body)
        assert status == 201, f"POST /api/control/sessions answered {status}, SPEC §5 says 201: {payload!r}"
        assert isinstance(payload, dict) and payload.get("id") and payload.get("token"), payload
        return payload

    def sessions(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/api/control/sessions")

    def session(self, sid: str) -> Dict[str, Any]:
        return self._call("GET", f"/api/control/sessions/{sid}")

    def delete_session(self, sid: str) -> Any:
        return self._call("DELETE", f"/api/control/sessions/{sid}")

    def dispatch(self, sid: str, event: str, data: Any, guild_id: Optional[str] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {"event": event, "data": data}
        if guild_id is not None:
            body["guild_id"] = guild_id
        return self._call("POST", f"/api/control/sessions/{sid}/dispatch", body)

    def disconnect(self, sid: str, code: int, reason: Optional[str] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {"code": code}
        if reason is not None:
            body["reason"] = reason
        return self._call("POST", f"/api/control/sessions/{sid}/disconnect", body)

    def invalidate(self, sid: str) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/invalidate", {})

    def stop_acks(self, sid: str, stop: bool = True) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/heartbeat/stop-acks", {"stop": stop})

    def flags(self, sid: str) -> Tuple[int, Any]:
        return self.request("GET", f"/api/control/sessions/{sid}/flags", expect=())

    def clear_flags(self, sid: str) -> Any:
        return self._call("DELETE", f"/api/control/sessions/{sid}/flags")

    def reconnect(self, sid: str) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/reconnect", {})

    def invalid_session(self, sid: str, resumable: bool) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/invalid-session", {"resumable": resumable})

    def request_heartbeat(self, sid: str) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/heartbeat/request", {})

    def drop(self, sid: str) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/drop", {})

    def heartbeat_interval(self) -> Dict[str, Any]:
        return self._call("GET", "/api/control/heartbeat-interval")

    def set_heartbeat_interval(self, interval: int) -> Any:
        return self._call("PUT", "/api/control/heartbeat-interval", {"interval": interval})

    def connection_count(self) -> int:
        return self._call("GET", "/api/control/connections")["count"]

    # -- SPEC §5: the REST world
    def create_interaction(self, sid: str, data: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/interactions", {"data": data, **fields})

    def interaction(self, sid: str, iid: str, wait_ms: int = 0) -> Dict[str, Any]:
        return self._call("GET", f"/api/control/sessions/{sid}/interactions/{iid}?wait={wait_ms}")

    def actions(self, sid: str, after: int = 0, method: Optional[str] = None, route: Optional[str] = None,
                wait_ms: int = 0) -> List[Dict[str, Any]]:
        query = {"after": str(after), "wait": str(wait_ms)}
        if method:
            query["method"] = method
        if route:
            query["route"] = route
        return self._call("GET", f"/api/control/sessions/{sid}/actions?{urllib.parse.urlencode(query)}")

    def channel_messages(self, sid: str, channel_id: str) -> List[Dict[str, Any]]:
        return self._call("GET", f"/api/control/sessions/{sid}/channels/{channel_id}/messages")

    def rest_fault(self, sid: str, **fault: Any) -> Dict[str, Any]:
        return self._call("POST", f"/api/control/sessions/{sid}/rest-faults", fault)

    # -- conveniences built on the calls above
    def open_connections(self, sid: str) -> List[Dict[str, Any]]:
        return [c for c in self.session(sid).get("connections", []) if c.get("open")]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        # `await control.adispatch(...)` == `control.dispatch(...)` in a worker thread, so the
        # event loop (and discord.py on it) keeps running during the HTTP round trip.
        if name.startswith("a") and not name.startswith("__"):
            target = getattr(type(self), name[1:], None)
            if callable(target):
                async def call(*args: Any, **kwargs: Any) -> Any:
                    return await asyncio.to_thread(target, self, *args, **kwargs)

                return call
        raise AttributeError(name)


# --------------------------------------------------------------------------- the server


class GatewayTape:
    """A running `gatewaytape serve` (or `proxy`) subprocess; `cafile` trusts the test CA of a server
    started with `--tls-cert`."""

    LISTEN_PREFIX = "listening on http://"
    LISTEN_PREFIX_TLS = "listening on https://"

    def __init__(self, binary: str, heartbeat_interval: int = 41250, extra_args: Optional[List[str]] = None,
                 startup_timeout: float = 20.0, command: str = "serve", cafile: Optional[str] = None):
        self.binary = binary
        self.args = [binary, command, "--port", "0"]
        if command == "serve":
            self.args += ["--heartbeat-interval", str(heartbeat_interval)]
        self.args += list(extra_args or [])
        self.heartbeat_interval = heartbeat_interval
        self.stderr_file = tempfile.NamedTemporaryFile(prefix="gatewaytape-stderr-", suffix=".log", delete=False)
        self.stdout_lines: List[str] = []
        self.proc = self._spawn()
        self.first_line = self._read_first_line(startup_timeout)
        secure = self.first_line.startswith(self.LISTEN_PREFIX_TLS)
        if not (secure or self.first_line.startswith(self.LISTEN_PREFIX)):
            self.kill()
            raise AssertionError(
                f"SPEC §1: first stdout line must be 'listening on http(s)://HOST:PORT', got {self.first_line!r}\n"
                f"stderr:\n{self.stderr_tail()}"
            )
        prefix = self.LISTEN_PREFIX_TLS if secure else self.LISTEN_PREFIX
        hostport = self.first_line[len(prefix):].strip().rstrip("/")
        self.host, _, port = hostport.rpartition(":")
        self.port = int(port)
        self.base = f"{'https' if secure else 'http'}://{self.host}:{self.port}"
        self.gateway_url = f"{'wss' if secure else 'ws'}://{self.host}:{self.port}/"
        self.control = Control(self.base, cafile=cafile)
        # keep draining stdout so the server never blocks on a full pipe
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()

    def _spawn(self) -> subprocess.Popen:
        # ETXTBSY: the binary is being relinked by a concurrent `swift build`; wait for it
        deadline = time.monotonic() + 30
        while True:
            try:
                return subprocess.Popen(
                    self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr_file,
                )
            except OSError as err:
                if err.errno != errno.ETXTBSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _read_first_line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError(
                    f"gatewaytape printed no listening line within {timeout}s (got {buf!r})\n"
                    f"stderr:\n{self.stderr_tail()}"
                )
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1)  # byte by byte: leave everything after the line in the pipe
            if not chunk:
                code = self.proc.wait(timeout=5)
                raise AssertionError(
                    f"gatewaytape exited with {code} before listening (stdout {buf!r})\n"
                    f"stderr:\n{self.stderr_tail()}"
                )
            buf += chunk
        line = buf.decode(errors="replace").rstrip("\r\n")
        self.stdout_lines.append(line)
        return line

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.stdout_lines.append(raw.decode(errors="replace").rstrip("\n"))

    def stderr_tail(self, lines: int = 60) -> str:
        try:
            with open(self.stderr_file.name, "rb") as fh:
                text = fh.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, wait; returns the exit status, or None when it had to be killed."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)

    def cleanup(self) -> None:
        self.kill()
        with contextlib.suppress(OSError):
            os.unlink(self.stderr_file.name)


# --------------------------------------------------------------------------- discord.py side


def record_run(binary: str, path: str, heartbeat_ms: int, run: Callable[[GatewayTape], Any], extra_args: Optional[List[str]] = None) -> None:
    """Runs `run(server)` (a coroutine function) against `gatewaytape serve --record path`, then stops
    the server with SIGTERM and checks that it exited 0 and closed the recording (no -wal/-shm)."""
    server = GatewayTape(binary, heartbeat_interval=heartbeat_ms, extra_args=["--record", path] + (extra_args or []))
    try:
        asyncio.run(run(server))
    finally:
        code = server.stop()
        tail = server.stderr_tail()
        server.cleanup()
    if code != 0:
        raise SystemExit(f"gatewaytape exited with {code} recording {path}\n{tail}")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            raise SystemExit(f"{path}{suffix} remains: the server did not close the recording cleanly")


def point_discord_at(server: GatewayTape) -> None:
    """Route discord.py's REST calls and gateway connections to the mock server.

    discord.py 2.7.1 builds REST URLs as `Route.BASE + path` when a Route is made, and the
    gateway URL as `DEFAULT_GATEWAY.with_query(v=10, encoding='json', compress='zlib-stream')`
    (DiscordWebSocket.from_client); after READY it reconnects to READY's resume_gateway_url,
    and after op 9 `d:false` back to DEFAULT_GATEWAY.
    """
    discord.http.Route.BASE = f"{server.base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)


# Two extra, purely observational events from discord.py's own websocket code path, so tests can
# tell which shard a frame reached and what the frame looked like on the wire:
#   tape_frame(shard_id, raw)          every websocket message, before decompression
#   tape_receive(shard_id, json_text)  every gateway payload, after decompression
#   tape_closed(shard_id, close_code)  a connection ended (code as discord.py saw it)
_original_received_message = discord.gateway.DiscordWebSocket.received_message
_original_debug_log_receive = discord.gateway.DiscordWebSocket.debug_log_receive


async def _tape_received_message(self: Any, msg: Any, /) -> None:
    self._dispatch("tape_frame", self.shard_id, msg)
    await _original_received_message(self, msg)


def _tape_debug_log_receive(self: Any, data: Any, /) -> None:
    self._dispatch("tape_receive", self.shard_id, data)
    _original_debug_log_receive(self, data)


_original_poll_event = discord.gateway.DiscordWebSocket.poll_event


async def _tape_poll_event(self: Any) -> None:
    # tape_closed(shard_id, code): the close code discord.py saw when a connection ended
    try:
        await _original_poll_event(self)
    except (discord.gateway.ReconnectWebSocket, discord.errors.ConnectionClosed):
        self._dispatch("tape_closed", self.shard_id, self._close_code or self.socket.close_code)
        raise


discord.gateway.DiscordWebSocket.received_message = _tape_received_message  # type: ignore[method-assign]
discord.gateway.DiscordWebSocket.poll_event = _tape_poll_event  # type: ignore[method-assign]
discord.gateway.DiscordWebSocket.debug_log_receive = _tape_debug_log_receive  # type: ignore[method-assign]


@dataclass
class Recorded:
    at: float
    name: str
    args: Tuple[Any, ...]


class EventLog:
    """Every event discord.py dispatches, in order, with awaitable conditions."""

    def __init__(self) -> None:
        self.events: List[Recorded] = []
        self.by_name: Dict[str, List[Recorded]] = defaultdict(list)
        self._waiters: List[asyncio.Future] = []

    def record(self, name: str, args: Tuple[Any, ...]) -> None:
        item = Recorded(time.monotonic(), name, args)
        self.events.append(item)
        self.by_name[name].append(item)
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def count(self, name: str, predicate: Optional[Callable[..., bool]] = None) -> int:
        return len(self.matching(name, predicate))

    def matching(self, name: str, predicate: Optional[Callable[..., bool]] = None) -> List[Recorded]:
        items = self.by_name.get(name, [])
        if predicate is None:
            return list(items)
        return [e for e in items if predicate(*e.args)]

    async def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; events seen: {self.summary()}")
            fut = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(fut, timeout=min(remaining, 0.25))

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10.0,
                       predicate: Optional[Callable[..., bool]] = None) -> List[Recorded]:
        await self.wait_until(lambda: self.count(name, predicate) >= count, timeout,
                              f"{count}x '{name}'")
        return self.matching(name, predicate)

    def summary(self, limit: int = 60) -> str:
        noisy = {"socket_raw_send", "socket_raw_receive", "socket_event_type"}
        names = [e.name for e in self.events if e.name not in noisy]
        return ", ".join(names[-limit:]) or "(none)"

    # decoded gateway traffic, from discord.py's own debug events
    def sent_payloads(self) -> List[Dict[str, Any]]:
        out = []
        for e in self.by_name.get("socket_raw_send", []):
            raw = e.args[0]
            with contextlib.suppress(Exception):
                out.append(json.loads(raw if isinstance(raw, str) else bytes(raw).decode()))
        return out

    def received_payloads(self) -> List[Dict[str, Any]]:
        out = []
        for e in self.by_name.get("socket_raw_receive", []):
            raw = e.args[0]
            with contextlib.suppress(Exception):
                out.append(json.loads(raw if isinstance(raw, str) else bytes(raw).decode()))
        return out


def _client_class(base: type) -> type:
    class TapeClient(base):  # type: ignore[misc, valid-type]
        """A discord.py client that records every event and never sleeps before IDENTIFY."""

        event_log: EventLog

        def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
            self.event_log.record(event, args)
            super().dispatch(event, *args, **kwargs)

        async def before_identify_hook(self, shard_id: Optional[int], *, initial: bool = False) -> None:
            # The default sleeps 5 s before every non-initial IDENTIFY (PROTOCOL "Timing budget").
            return None

    TapeClient.__name__ = f"Tape{base.__name__}"
    return TapeClient


TapeClient = _client_class(discord.Client)
TapeAutoShardedClient = _client_class(discord.AutoShardedClient)


class Bot:
    """A discord.py client running against the mock inside the current event loop.

        async with Bot(server, token, intents=...) as bot:
            await bot.ready()
            ...
    """

    def __init__(self, server: GatewayTape, token: str, *, intents: Optional[discord.Intents] = None,
                 sharded: bool = False, **options: Any):
        point_discord_at(server)
        self.server = server
        self.token = token
        options.setdefault("guild_ready_timeout", 0.5)
        options.setdefault("enable_debug_events", True)
        cls = TapeAutoShardedClient if sharded else TapeClient
        self.log = EventLog()
        self.client: discord.Client = cls(intents=intents or discord.Intents.default(), **options)
        self.client.event_log = self.log  # type: ignore[attr-defined]
        self.task: Optional[asyncio.Task] = None

    @property
    def events(self) -> EventLog:
        return self.log

    async def __aenter__(self) -> "Bot":
        self.task = asyncio.create_task(self.client.start(self.token), name="discord.py client.start")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.close(), timeout=10)
        if self.task is not None:
            if not self.task.done():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.task), timeout=10)
            if not self.task.done():
                self.task.cancel()
                with contextlib.suppress(BaseException):
                    await self.task
            elif not self.task.cancelled():
                self.task.exception()  # mark retrieved; tests inspect it themselves

    def _check_alive(self) -> None:
        if self.task is not None and self.task.done() and not self.task.cancelled():
            exc = self.task.exception()
            if exc is not None:
                raise AssertionError(f"discord.py's client.start() ended with {exc!r}") from exc

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10.0,
                       predicate: Optional[Callable[..., bool]] = None) -> List[Recorded]:
        def condition() -> bool:
            self._check_alive()
            return self.log.count(name, predicate) >= count

        await self.log.wait_until(condition, timeout, f"{count}x '{name}'")
        return self.log.matching(name, predicate)

    async def ready(self, timeout: float = 15.0) -> None:
        await self.wait_for("ready", timeout=timeout)


# --------------------------------------------------------------------------- payloads


def message_create(channel_id: str, guild_id: Optional[str], content: str, *, message_id: str,
                   author_id: str = "1200000000000000002", author_name: str = "alice") -> Dict[str, Any]:
    """PROTOCOL.md's MESSAGE_CREATE template (guild message; a DM when guild_id is None)."""
    data: Dict[str, Any] = {
        "id": message_id, "channel_id": channel_id,
        "author": {"id": author_id, "username": author_name, "discriminator": "0", "global_name": None,
                   "avatar": None, "bot": False, "public_flags": 0},
        "content": content, "timestamp": "2024-01-01T00:00:01.000000+00:00", "edited_timestamp": None,
        "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": [], "channel_type": 0,
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
        data["member"] = {"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": False,
                          "mute": False, "flags": 0}
    return data


_snowflake_counter = [0]


def new_snowflake() -> str:
    """A fresh, plausible message id (Discord epoch, current time)."""
    _snowflake_counter[0] += 1
    ms = int(time.time() * 1000) - 1420070400000
    return str((ms << 22) | (_snowflake_counter[0] & 0xFFF))


def shard_of(guild_id: int, shard_count: int) -> int:
    return (int(guild_id) >> 22) % shard_count
