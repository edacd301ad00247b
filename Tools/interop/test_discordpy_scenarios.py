"""Scenarios (SPEC §9, issue 13) as discord.py 2.7.1 experiences them: rules that fire at the bot's
own frames, armed with `serve --scenario FILE` (the committed examples in recordings/scenarios/)
or on top of a replay."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3

import pytest

from harness import Bot, GatewayTape
from test_discordpy import closed_codes, intents, new_session, op_codes, send_message
from test_replay import REPLAY_TIMEOUT_S, golden, open_ro, recorded_run, run_replay

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "recordings", "scenarios")


def example(name: str) -> str:
    return os.path.join(EXAMPLES, name)


@pytest.mark.server(args=["--scenario", example("resume-refused.yaml")])
async def test_resume_answered_with_op9(server: GatewayTape) -> None:
    """resume-refused.yaml: 4000 two seconds after READY; the RESUME is answered with op 9 d:false
    (no RESUMED) → discord.py identifies again and gets a fresh READY."""
    sid, token = await new_session(server, "resume-refused")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        await bot.wait_for("ready", count=2, timeout=20)
        received = bot.log.received_payloads()
        assert [p.get("d") for p in received if p.get("op") == 9] == [False], op_codes(received)
        assert not [p for p in received if p.get("t") == "RESUMED"], "RESUMED after op 9"
        assert bot.log.count("resumed") == 0
        sent = op_codes(bot.log.sent_payloads())
        assert [op for op in sent if op in (2, 6)] == [2, 6, 2], sent
        readies = [p["d"]["session_id"] for p in received if p.get("t") == "READY"]
        assert len(readies) == 2 and readies[0] != readies[1], readies
        # the bot works on its new session
        await send_message(bot, server.control, sid, bot.client.guilds[0], "after op 9")
        await bot.wait_for("message", predicate=lambda m: m.content == "after op 9")


@pytest.mark.server(heartbeat_interval=1000, args=["--scenario", example("zombie-after-heartbeats.yaml")])
async def test_stop_acks_after_third_heartbeat(server: GatewayTape) -> None:
    """zombie-after-heartbeats.yaml: no ACK from the 3rd heartbeat on → discord.py's zombie
    detection reconnects and resumes; the rule on `resumed` heals the session."""
    sid, token = await new_session(server, "zombie-scenario")
    async with Bot(server, token, heartbeat_timeout=3.0) as bot:
        await bot.ready()
        await bot.wait_for("resumed", timeout=15)
        # discord.py's keep-alive thread sends heartbeats past its debug events: count the ACKs. Its
        # first heartbeat goes out right after HELLO, before IDENTIFY, when the connection belongs to
        # no session yet: it is ACKed and not counted. The session's 1st and 2nd are ACKed, its 3rd not.
        received = op_codes(bot.log.received_payloads())
        first_connection = received[: received.index(10, 1)]
        assert first_connection.count(11) == 3, f"frames of the first connection: {first_connection}"
        assert bot.log.count("ready") == 1, "discord.py re-identified instead of resuming"
        acks = received.count(11)
        await asyncio.sleep(3.5)
        assert op_codes(bot.log.received_payloads()).count(11) - acks >= 2, "no ACKs after the resume"
        assert bot.log.count("resumed") == 1, bot.log.summary()


@pytest.mark.timeout_s(90)
@pytest.mark.server(args=["--scenario", example("identify-rejected-twice.yaml")])
async def test_identify_closed_4000_twice(server: GatewayTape) -> None:
    """identify-rejected-twice.yaml: the first two IDENTIFYs are closed with 4000 → discord.py
    retries and becomes ready on the third."""
    sid, token = await new_session(server, "identify-twice")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready(timeout=60)
        sent = [op for op in op_codes(bot.log.sent_payloads()) if op in (2, 6)]
        # discord.py resumes after a close, even one before READY (with session_id null): that RESUME
        # gets op 9 d:false, and discord.py identifies again.
        assert sent == [2, 6, 2, 6, 2], sent
        assert [code for code in closed_codes(bot) if code != 1000] == [4000, 4000], closed_codes(bot)
        assert bot.log.count("ready") == 1
        await send_message(bot, server.control, sid, bot.client.guilds[0], "third time lucky")
        await bot.wait_for("message", predicate=lambda m: m.content == "third time lucky")


@pytest.mark.server(args=["--scenario", example("reconnect-storm.yaml")])
async def test_reconnect_storm(server: GatewayTape) -> None:
    """reconnect-storm.yaml: op 7 one second after READY, then one second after each RESUME, five in
    all → discord.py resumes five times on the same session and loses no event."""
    sid, token = await new_session(server, "storm")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        await bot.wait_for("resumed", count=5, timeout=30)
        await asyncio.sleep(1.5)
        received = bot.log.received_payloads()
        assert op_codes(received).count(7) == 5, op_codes(received)
        assert bot.log.count("resumed") == 5 and bot.log.count("ready") == 1, bot.log.summary()
        seqs = [p["s"] for p in received if p.get("op") == 0]
        assert seqs == sorted(set(seqs)), f"sequence numbers seen by discord.py: {seqs}"
        await send_message(bot, server.control, sid, bot.client.guilds[0], "after the storm")
        await bot.wait_for("message", predicate=lambda m: m.content == "after the storm")


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_scenario_on_top_of_a_replay(gatewaytape_bin: str, tmp_path) -> None:
    """plain.sqlite (no faults) replayed with a scenario that closes the connection with 4000 right
    after the 3rd recorded message: discord.py resumes, still gets every recorded message, and
    the replay's own recording holds the fault with the rule's name."""
    rules = tmp_path / "cut.json"
    rules.write_text(json.dumps({"rules": [
        {"name": "cut", "when": {"dispatched": "MESSAGE_CREATE", "nth": 3}, "do": [{"disconnect": {"code": 4000}}]},
    ]}))
    out = str(tmp_path / "replayed.sqlite")
    expected = recorded_run(golden("plain"))
    result = await run_replay(gatewaytape_bin, golden("plain"), "plain",
                              ["--scenario", str(rules), "--record", out, "--timeout", str(REPLAY_TIMEOUT_S)])
    try:
        assert result.code == 0, result.explain()
        assert result.count("resumed") == 1, result.explain()
        assert result.count("ready") == 1, result.explain()
        assert sorted(set(result.messages)) == sorted(set(expected.messages)), result.explain()
        with open_ro(out) as db:
            rows = db.execute("SELECT action, args FROM controls WHERE action = 'disconnect'").fetchall()
        assert [(action, json.loads(args)) for action, args in rows] == [
            ("disconnect", {"code": 4000, "reason": None, "scenario": "cut"})], rows
    finally:
        result.replay.cleanup()


@pytest.mark.server(args=["--scenario", example("rate-limited-first-reply.yaml")])
async def test_rate_limited_first_reply(server: GatewayTape) -> None:
    """rate-limited-first-reply.yaml: the bot's first POST .../messages is answered with 429 by the
    rule it fires; discord.py waits retry_after (1 s) and the retry succeeds."""
    sid, token = await new_session(server, "rate-limited")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        began = asyncio.get_running_loop().time()
        message = await bot.client.guilds[0].text_channels[0].send("first reply")
        waited = asyncio.get_running_loop().time() - began
        assert message.content == "first reply"
        assert waited >= 0.9, f"discord.py retried after {waited:.2f} s, retry_after was 1 s"
        actions = await server.control.aactions(sid, route="POST /channels/{channel.id}/messages")
        assert [a["status"] for a in actions] == [429, 200], actions
        second = await bot.client.guilds[0].text_channels[0].send("second reply")
        assert second.content == "second reply", "the rule fired once (times: 1)"
