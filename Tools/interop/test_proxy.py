"""`gatewaytape proxy` (SPEC §10) with discord.py 2.7.1 as the bot and `gatewaytape serve --tls-cert`
as the upstream "Discord" (HTTPS/WSS with a certificate from a CA the test makes with openssl).

The bot talks plain HTTP/WS to the proxy; the proxy verifies the upstream against `--upstream-ca`.
Assertions are on what discord.py observes, on the upstream's control API (what "Discord" saw) and
on the proxy's recording, which must replay to the same bot with `--verify`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from typing import Any, Dict, Iterator, Sequence, Tuple

import pytest

from golden import golden_bot
from harness import Bot, GatewayTape, message_create, new_snowflake
from test_discordpy import closed_codes, op_codes
from test_discordpy_scenarios import example
from test_replay import REPLAY_TIMEOUT_S, TOKEN, run_replay

GUILD = "1099511627776000000"
CHANNEL = "1100000000000000101"


def make_certificates(directory: str) -> Tuple[str, str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 it signed: (ca.pem, server.pem, server.key)."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    openssl("req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=interop CA", "-keyout", "ca.key", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", *ec)
    openssl("req", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr", *ec)
    with open(os.path.join(directory, "server.ext"), "w") as fh:
        fh.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-out", "server.pem", "-extfile", "server.ext")
    return tuple(os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key"))  # type: ignore[return-value]


class Stack:
    """The upstream (TLS serve) and the proxy in front of it, recording into `recording`."""

    def __init__(self, binary: str, directory: str, heartbeat_ms: int = 41250, proxy_args: Sequence[str] = ()):
        ca, cert, key = make_certificates(directory)
        self.recording = os.path.join(directory, "proxy.sqlite")
        self.upstream = GatewayTape(binary, heartbeat_interval=heartbeat_ms, extra_args=["--tls-cert", cert, "--tls-key", key], cafile=ca)
        assert self.upstream.base.startswith("https://"), self.upstream.first_line
        self.proxy = GatewayTape(binary, command="proxy", extra_args=[
            "--upstream", self.upstream.base, "--upstream-ca", ca, "--record", self.recording, *proxy_args])
        self.stopped = False

    def stop(self) -> None:
        """SIGTERM to both (the proxy first, so the recording holds its 1001 closes); both must exit 0."""
        if self.stopped:
            return
        self.stopped = True
        for server in (self.proxy, self.upstream):
            code = server.stop()
            tail = server.stderr_tail()
            server.cleanup()
            assert code == 0, f"{server.args[1]} exited with {code} after SIGTERM\n{tail}"

    def upstream_session(self) -> Dict[str, Any]:
        sessions = self.upstream.control.sessions()
        assert len(sessions) == 1, sessions
        return self.upstream.control.session(sessions[0]["id"])

    def proxy_session_id(self) -> str:
        sessions = self.proxy.control.sessions()
        assert len(sessions) == 1, sessions
        return sessions[0]["id"]


@pytest.fixture
def stack(gatewaytape_bin: str, tmp_path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    marker = request.node.get_closest_marker("server")
    heartbeat_ms = int(marker.kwargs.get("heartbeat_interval", 41250)) if marker else 41250
    proxy_args = marker.kwargs.get("proxy_args", ()) if marker else ()
    running = Stack(gatewaytape_bin, str(tmp_path), heartbeat_ms, proxy_args)
    try:
        yield running
    finally:
        running.stop()


async def dispatch_message(stack: Stack, content: str) -> None:
    sid = stack.upstream_session()["id"]
    data = message_create(CHANNEL, GUILD, content, message_id=new_snowflake())
    answer = await stack.upstream.control.adispatch(sid, "MESSAGE_CREATE", data, guild_id=GUILD)
    assert answer.get("delivered") == 1, answer


async def test_ready_and_messages_through_the_proxy(stack: Stack) -> None:
    """READY arrives through the proxy; a message dispatched upstream reaches on_message; the
    proxy's own dispatch answers 409 (the upstream owns the session's events)."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        resume_url = str(bot.client.ws.gateway)  # READY's resume_gateway_url, as discord.py keeps it
        assert resume_url.startswith(stack.proxy.gateway_url + "resume/"), resume_url
        assert {g.id for g in bot.client.guilds} >= {int(GUILD)}
        await dispatch_message(stack, "hello through the proxy")
        await bot.wait_for("message", predicate=lambda m: m.content == "hello through the proxy")
        status, body = stack.proxy.control.request("POST", f"/api/control/sessions/{stack.proxy_session_id()}/dispatch",
                                                   {"event": "MESSAGE_CREATE", "data": {}}, expect=())
        assert status == 409, (status, body)


async def test_upstream_disconnect_resumes_through_the_proxy(stack: Stack) -> None:
    """The upstream closes with 4000: discord.py sees 4000, resumes at the proxy's resume URL, and the
    upstream sees the RESUME on the same gateway session."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        before = stack.upstream_session()["connections"][0]
        answer = await stack.upstream.control.adisconnect(stack.upstream_session()["id"], 4000)
        assert answer.get("disconnected") == 1, answer
        await bot.wait_for("resumed", timeout=15)
        codes = [e.args[1] for e in bot.log.matching("tape_closed")]
        assert codes == [4000], codes
        assert 6 in [p.get("op") for p in bot.log.sent_payloads()]
        after = [c for c in stack.upstream_session()["connections"] if c["open"]]
        assert [c["gateway_session_id"] for c in after] == [before["gateway_session_id"]], (before, after)
        await dispatch_message(stack, "after the resume")
        await bot.wait_for("message", predicate=lambda m: m.content == "after the resume")


@pytest.mark.server(heartbeat_interval=1000)
async def test_stop_acks_on_the_proxy_makes_the_bot_resume_upstream(stack: Stack) -> None:
    """stop-acks on the proxy: the upstream still ACKs, the proxy withholds them; discord.py's zombie
    detection reconnects and resumes upstream."""
    async with golden_bot(stack.proxy, TOKEN, "zombie") as bot:
        await bot.ready()
        gateway_session = stack.upstream_session()["connections"][0]["gateway_session_id"]
        answer = await stack.proxy.control.astop_acks(stack.proxy_session_id())
        assert answer.get("stop_acks") is True, answer
        await bot.wait_for("resumed", timeout=15)
        await stack.proxy.control.aclear_flags(stack.proxy_session_id())
        opened = [c for c in stack.upstream_session()["connections"] if c["open"]]
        assert [c["gateway_session_id"] for c in opened] == [gateway_session], opened
        assert bot.log.count("ready") == 1, "discord.py re-identified instead of resuming"


async def test_the_bots_reply_reaches_the_upstream_and_its_answer_the_bot(stack: Stack) -> None:
    """The bot's channel.send goes through the proxy to the upstream's world (its actions log shows the
    call) and discord.py gets the upstream's message back, with the id the upstream gave it."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        sent = await bot.client.get_channel(int(CHANNEL)).send("through the proxy")
        upstream = stack.upstream_session()["id"]
        actions = await stack.upstream.control.aactions(upstream, route="POST /channels/{channel.id}/messages", wait_ms=5000)
        assert [a["status"] for a in actions] == [200], actions
        assert actions[0]["request"]["content"] == "through the proxy"
        assert str(sent.id) == actions[0]["response"]["id"]
        await bot.wait_for("message", predicate=lambda m: m.id == sent.id)


async def test_a_429_injected_upstream_passes_through_and_is_retried(stack: Stack) -> None:
    """A 429 armed on the upstream reaches discord.py through the proxy with Discord's headers;
    discord.py waits retry_after and retries, and the proxy's recording holds both answers."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        upstream = stack.upstream_session()["id"]
        await stack.upstream.control.arest_fault(upstream, route="/channels/{channel.id}/messages", status=429, retry_after=0.5)
        began = asyncio.get_running_loop().time()
        sent = await bot.client.get_channel(int(CHANNEL)).send("after the limit")
        assert sent.content == "after the limit"
        assert asyncio.get_running_loop().time() - began >= 0.45
        actions = await stack.upstream.control.aactions(upstream, route="POST /channels/{channel.id}/messages")
        assert [a["status"] for a in actions] == [429, 200], actions
    stack.stop()
    db = sqlite3.connect(f"file:{stack.recording}?mode=ro", uri=True)
    statuses = [row[0] for row in db.execute(
        "SELECT status FROM http WHERE route = 'POST /channels/{channel.id}/messages' ORDER BY id")]
    assert statuses == [429, 200], statuses


async def test_the_proxy_recording_replays_to_the_same_bot(stack: Stack, gatewaytape_bin: str) -> None:
    """A run through the proxy (messages, a !ping answered over REST, a resume) is recorded as
    meta.mode = proxy and replays to the same bot with --verify and exit 0."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        for content in ("first", "!ping 1", "second"):
            await dispatch_message(stack, content)
            await bot.wait_for("message", predicate=lambda m, c=content: m.content == c)
        await bot.wait_for("tape_replied")
        await asyncio.sleep(1.5)
    stack.stop()
    db = sqlite3.connect(f"file:{stack.recording}?mode=ro&immutable=1", uri=True)
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["mode"] == "proxy" and meta["source"] == stack.upstream.base, meta
    posts = db.execute("SELECT path, status, request FROM http WHERE method = 'POST'").fetchall()
    assert posts and posts[0][1] == 200 and "redacted:" in posts[0][2] and TOKEN not in posts[0][2], posts
    db.close()

    result = await run_replay(gatewaytape_bin, stack.recording, "plain", ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--max-gap", "2000"])
    assert result.code == 0, result.explain()
    # The bot's own reply came back from the upstream's world: it is replayed when the bot posts it again.
    assert result.messages == ["first", "!ping 1", "pong 1", "second"], result.explain()


def recorded_controls(stack: Stack, action: str) -> list:
    """The proxy recording's `controls` rows of one action, as (action, args) (after stack.stop())."""
    db = sqlite3.connect(f"file:{stack.recording}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT action, args FROM controls WHERE action = ? ORDER BY id", (action,)).fetchall()
    finally:
        db.close()
    return [(name, json.loads(args)) for name, args in rows]


@pytest.mark.timeout_s(90)
@pytest.mark.server(proxy_args=["--scenario", example("identify-rejected-twice.yaml")])
async def test_scenario_on_the_proxy_closes_identify_with_4000_twice(stack: Stack) -> None:
    """identify-rejected-twice.yaml on the proxy: discord.py's first two IDENTIFYs are closed with 4000
    by the proxy and never reach the upstream; discord.py retries and becomes ready on the third. The
    proxy's recording holds both closes with the rule's name."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready(timeout=60)
        sent = [op for op in op_codes(bot.log.sent_payloads()) if op in (2, 6)]
        # After a close before READY discord.py resumes with session_id null: forwarded, and the
        # upstream answers op 9 d:false, so discord.py identifies again.
        assert sent == [2, 6, 2, 6, 2], sent
        assert [code for code in closed_codes(bot) if code != 1000] == [4000, 4000], closed_codes(bot)
        assert bot.log.count("ready") == 1
        identifies = [c for c in stack.upstream_session()["connections"] if c["identified"]]
        assert len(identifies) == 1, stack.upstream_session()
        await dispatch_message(stack, "third time lucky")
        await bot.wait_for("message", predicate=lambda m: m.content == "third time lucky")
    stack.stop()
    reason = "scenario: try again"
    assert recorded_controls(stack, "disconnect") == [
        ("disconnect", {"code": 4000, "reason": reason, "scenario": "reject identify"})] * 2


@pytest.mark.server(proxy_args=["--scenario", example("rate-limited-first-reply.yaml")])
async def test_scenario_on_the_proxy_answers_the_first_reply_with_429(stack: Stack) -> None:
    """rate-limited-first-reply.yaml on the proxy: discord.py's first POST .../messages is answered
    with 429 by the proxy (it never reaches the upstream); discord.py waits retry_after (1 s) and its
    retry goes upstream."""
    async with golden_bot(stack.proxy, TOKEN, "plain") as bot:
        await bot.ready()
        began = asyncio.get_running_loop().time()
        sent = await bot.client.get_channel(int(CHANNEL)).send("first reply")
        waited = asyncio.get_running_loop().time() - began
        assert sent.content == "first reply"
        assert waited >= 0.9, f"discord.py retried after {waited:.2f} s, retry_after was 1 s"
        upstream = stack.upstream_session()["id"]
        actions = await stack.upstream.control.aactions(upstream, route="POST /channels/{channel.id}/messages")
        assert [a["status"] for a in actions] == [200], actions
        second = await bot.client.get_channel(int(CHANNEL)).send("second reply")
        assert second.content == "second reply", "the rule fired once (times: 1)"
    stack.stop()
    db = sqlite3.connect(f"file:{stack.recording}?mode=ro", uri=True)
    statuses = [row[0] for row in db.execute(
        "SELECT status FROM http WHERE route = 'POST /channels/{channel.id}/messages' ORDER BY id")]
    db.close()
    assert statuses == [429, 200, 200], statuses
    # Armed by the rule (with its name), then injected into the call (with its path).
    faults = [(args.get("scenario"), args.get("path")) for _, args in recorded_controls(stack, "rest_fault")]
    assert faults == [("rate limit the first reply", None), (None, f"/api/v10/channels/{CHANNEL}/messages")], faults
