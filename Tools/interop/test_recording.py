"""`serve --record` and `serve --fixture` with discord.py as the bot (SPEC §1, §3, §7)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3

import pytest

from harness import Bot, GatewayTape
from test_discordpy import closed_codes, custom_fixture, intents, new_session, send_message


@pytest.fixture
def record_path(tmp_path):
    return str(tmp_path / "run.sqlite")


async def _record_run(server: GatewayTape) -> tuple:
    sid, token = await new_session(server, "recorded")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        await send_message(bot, server.control, sid, bot.client.guilds[0], "recorded message")
        await bot.wait_for("message", predicate=lambda m: m.content == "recorded message")
        await server.control.adisconnect(sid, 4000)
        await bot.wait_for("resumed")
    return sid, token


def _frames(db: sqlite3.Connection, where: str) -> list:
    return [json.loads(r[0]) for r in db.execute(f"SELECT payload FROM frames WHERE {where} ORDER BY id")]


async def test_record_discordpy_run(request, gatewaytape_bin: str, record_path: str) -> None:
    server = GatewayTape(gatewaytape_bin, extra_args=["--record", record_path])
    try:
        sid, token = await _record_run(server)
    finally:
        code = server.stop()
        server.cleanup()
    assert code == 0
    redacted = "redacted:" + hashlib.sha256(token.encode()).hexdigest()[:12]

    for path in (record_path, record_path + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as fh:
                assert token.encode() not in fh.read(), f"the bot token reached {path}"

    db = sqlite3.connect(f"file:{record_path}?mode=ro", uri=True)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta.get("mode") == "serve", meta
    sessions = db.execute("SELECT id, name, token_sha256 FROM sessions").fetchall()
    assert (sid, "recorded", hashlib.sha256(token.encode()).hexdigest()) in sessions, sessions

    conns = db.execute("SELECT id, session_id, gateway_session_id, close_code, closed_by, query FROM connections "
                       "ORDER BY id").fetchall()
    assert len(conns) == 2, conns
    assert all(c[1] == sid for c in conns), conns
    assert conns[0][2] == conns[1][2], "the resumed connection belongs to the same gateway session"
    assert conns[0][3] == 4000 and conns[0][4] == "server", conns[0]
    assert all("compress=zlib-stream" in (c[5] or "") for c in conns), conns

    identify = _frames(db, "direction = 'in' AND op = 2")
    resume = _frames(db, "direction = 'in' AND op = 6")
    assert [f["d"]["token"] for f in identify] == [redacted]
    assert [f["d"]["token"] for f in resume] == [redacted]
    assert identify[0]["d"]["properties"]["browser"] == "discord.py"
    events = [r[0] for r in db.execute("SELECT event FROM frames WHERE direction = 'out' AND op = 0 ORDER BY id")]
    assert events[0] == "READY" and "MESSAGE_CREATE" in events and events[-1] == "RESUMED", events
    seqs = [r[0] for r in db.execute("SELECT seq FROM frames WHERE direction = 'out' AND op = 0 ORDER BY id")]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    hello = _frames(db, "direction = 'out' AND op = 10")
    assert len(hello) == 2 and all(set(f) == {"op", "d", "s", "t"} for f in hello), hello

    actions = [r[0] for r in db.execute("SELECT action FROM controls ORDER BY id")]
    assert "dispatch" in actions and "disconnect" in actions, actions
    http = db.execute("SELECT method, path, status, request FROM http ORDER BY id").fetchall()
    paths = [(m, p, s) for m, p, s, _ in http]
    assert ("GET", "/api/v10/users/@me", 200) in paths, paths
    assert all(token not in (r or "") for *_, r in http)
    assert any(redacted in (r or "") for *_, r in http), "REST Authorization should be recorded redacted"


async def test_fixture_file_and_auto_session(request, gatewaytape_bin: str, tmp_path) -> None:
    """--fixture FILE: a bot with a token the server has never seen gets a session built from the
    file on its first IDENTIFY, and sees the file's guilds."""
    fixture, expected = custom_fixture("1000000000000000111", "filebot")
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture))
    server = GatewayTape(gatewaytape_bin, extra_args=["--fixture", str(path)])
    try:
        assert server.control.sessions() == []
        async with Bot(server, "MTAwMDAwMDAwMDAwMDAwMDExMQ.Gabcde.an-unknown-token-of-27-chars-x") as bot:
            await bot.ready()
            assert {str(g.id) for g in bot.client.guilds} == set(expected)
            assert {g.name for g in bot.client.guilds} == {v["name"] for v in expected.values()}
            assert bot.client.user.name == "filebot"
            listed = await server.control.asessions()
            assert len(listed) == 1, listed
    finally:
        code = server.stop()
        server.cleanup()
    assert code == 0
