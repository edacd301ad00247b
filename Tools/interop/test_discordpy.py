"""discord.py 2.7.1 against gatewaytape: one test per scenario of issue 3.

Every assertion is on what discord.py itself observed (its dispatched events, its own debug
events for raw frames, its exceptions) or on the control API's view (SPEC §5), never on the
server's log.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from typing import Any, Dict, List, Optional, Tuple

import discord
import discord.utils
import pytest

from harness import Bot, Control, GatewayTape, message_create, new_snowflake, shard_of

# --------------------------------------------------------------------------- fixtures for sessions

SHARD_BOT_ID = "1000000000000000077"


def _snowflake_on_shard(base: int, shard: int, count: int = 2) -> str:
    """A guild id whose (id >> 22) % count == shard."""
    k = base - (base % count) + shard
    return str(k << 22)


def _members(prefix: str, first_id: int, n: int, bot_id: str, bot_name: str) -> List[Dict[str, Any]]:
    members = [{"user": {"id": bot_id, "username": bot_name, "bot": True}}]
    for i in range(n):
        members.append({"user": {"id": str(first_id + i), "username": f"{prefix}{i}"}})
    return members


def custom_fixture(bot_id: str, bot_name: str) -> Tuple[Dict[str, Any], Dict[str, Dict[str, Any]]]:
    """A fixture with one guild on each of two shards and distinct sizes; returns it and the
    expected {guild_id: {name, member_count, shard}}."""
    g0 = _snowflake_on_shard(300_000_000_000, 0)
    g1 = _snowflake_on_shard(300_000_000_100, 1)
    fixture = {
        "user": {"id": bot_id, "username": bot_name},
        "application": {"id": bot_id, "name": f"{bot_name}-app"},
        "guilds": [
            {"id": g0, "name": "Interop Even Guild",
             "channels": [{"id": "1300000000000000001", "name": "general"}],
             "members": _members("even", 1310000000000000000, 21, bot_id, bot_name)},
            {"id": g1, "name": "Interop Odd Guild",
             "channels": [{"id": "1300000000000000002", "name": "general"}],
             "members": _members("odd", 1320000000000000000, 26, bot_id, bot_name)},
        ],
    }
    expected = {
        g0: {"name": "Interop Even Guild", "member_count": 22, "shard": 0},
        g1: {"name": "Interop Odd Guild", "member_count": 27, "shard": 1},
    }
    return fixture, expected


async def new_session(server: GatewayTape, name: str, fixture: Optional[Dict[str, Any]] = None) -> Tuple[str, str]:
    created = await server.control.acreate_session(name=name, fixture=fixture)
    token = created["token"]
    # SPEC §5: a server-made token is Discord-shaped: base64(bot id) "." 6 chars "." 27+ chars
    parts = token.split(".")
    assert len(parts) == 3 and len(parts[1]) == 6 and len(parts[2]) >= 27, f"token not Discord-shaped: {token!r}"
    return created["id"], token


def intents(**flags: bool) -> discord.Intents:
    value = discord.Intents.default()
    for name, on in flags.items():
        setattr(value, name, on)
    return value


def op_codes(payloads: List[Dict[str, Any]]) -> List[int]:
    return [p.get("op") for p in payloads]


def text_channel(guild: discord.Guild) -> discord.TextChannel:
    assert guild.text_channels, f"guild {guild.name!r} ({guild.id}) has no text channel in discord.py's cache"
    return guild.text_channels[0]


def closed_codes(bot: Bot) -> List[Optional[int]]:
    """Close codes of the connections that ended, as discord.py saw them."""
    return [e.args[1] for e in bot.log.matching("tape_closed")]


def messages_with(bot: Bot, content: str) -> List[discord.Message]:
    return [e.args[0] for e in bot.log.matching("message") if e.args[0].content == content]


async def only_connection(ctl: Control, sid: str) -> Dict[str, Any]:
    conns = await ctl.aopen_connections(sid)
    assert len(conns) == 1, f"control API: expected exactly one open connection, got {conns}"
    return conns[0]


async def send_message(bot: Bot, ctl: Control, sid: str, guild: discord.Guild, content: str,
                       pass_guild_id: bool = True) -> Dict[str, Any]:
    channel = text_channel(guild)
    data = message_create(str(channel.id), str(guild.id), content, message_id=new_snowflake(),
                          author_id="1200000000000000001", author_name="alice")
    return await ctl.adispatch(sid, "MESSAGE_CREATE", data, guild_id=str(guild.id) if pass_guild_id else None)


# --------------------------------------------------------------------------- ready


@pytest.mark.parametrize("which", ["default-fixture", "custom-fixture"])
async def test_ready(server: GatewayTape, which: str) -> None:
    """on_ready fires with the fixture's guilds, names and member counts."""
    ctl = server.control
    expected = None
    if which == "custom-fixture":
        fixture, expected = custom_fixture("1000000000000000055", "readybot")
        sid, token = await new_session(server, "ready", fixture)
    else:
        sid, token = await new_session(server, "ready")

    async with Bot(server, token) as bot:
        await bot.ready()
        client = bot.client
        connect_at = bot.log.matching("connect")[0].at
        ready_at = bot.log.matching("ready")[0].at
        assert ready_at - connect_at < 3.0, f"on_ready took {ready_at - connect_at:.2f}s after READY"

        guilds = {str(g.id): g for g in client.guilds}
        summary = {gid: (g.name, g.member_count, g.unavailable) for gid, g in guilds.items()}
        for g in guilds.values():
            assert not g.unavailable, f"guild {g.id} still unavailable after on_ready: {summary}"
            assert g.name, summary
        if expected is None:
            # SPEC §3 / built-in fixture: at least two guilds, each with at least 20 members
            assert len(guilds) >= 2, summary
            for g in guilds.values():
                assert (g.member_count or 0) >= 20, summary
            assert len({g.name for g in guilds.values()}) == len(guilds), f"guild names not distinct: {summary}"
            assert client.user is not None and client.user.bot
        else:
            assert set(guilds) == set(expected), summary
            for gid, want in expected.items():
                assert guilds[gid].name == want["name"], summary
                assert guilds[gid].member_count == want["member_count"], summary
            assert client.user is not None and str(client.user.id) == "1000000000000000055"
            assert client.user.name == "readybot"
            assert str(client.application_id) == "1000000000000000055"

        # the control API's view of the bot's connection
        conn = await only_connection(ctl, sid)
        assert conn.get("identified") is True, conn
        assert conn.get("gateway_session_id") == client.ws.session_id, conn
        listed = await ctl.asessions()
        mine = [s for s in listed if s.get("id") == sid]
        assert len(mine) == 1, listed


# --------------------------------------------------------------------------- message


async def test_message(server: GatewayTape) -> None:
    """A control-API MESSAGE_CREATE reaches on_message with content and author."""
    ctl = server.control
    sid, token = await new_session(server, "message")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        guild = bot.client.guilds[0]
        channel = text_channel(guild)
        answer = await send_message(bot, ctl, sid, guild, "!ping interop")
        assert answer.get("delivered") == 1, f"dispatch answered {answer}, expected delivered 1"
        events = await bot.wait_for("message", predicate=lambda m: m.content == "!ping interop")
        message: discord.Message = events[0].args[0]
        assert message.author.name == "alice"
        assert message.author.id == 1200000000000000001
        assert not message.author.bot
        assert message.guild is not None and message.guild.id == guild.id
        assert message.channel.id == channel.id
        await asyncio.sleep(0.3)
        assert len(messages_with(bot, "!ping interop")) == 1


# --------------------------------------------------------------------------- resume


async def test_resume(server: GatewayTape) -> None:
    """Disconnect 4000 → RESUME → on_resumed; dispatches sent while discord.py was away are
    replayed before RESUMED, and every dispatch arrives exactly once."""
    ctl = server.control
    sid, token = await new_session(server, "resume")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        guild = bot.client.guilds[0]
        channel = text_channel(guild)
        before = await only_connection(ctl, sid)

        # Deliberately blocking calls: discord.py's event loop cannot run until all of these are
        # done, so it only learns of the close afterwards and the three dispatches can reach it
        # only through RESUME's replay (a frame behind a close frame is never read).
        answer = ctl.disconnect(sid, 4000, "interop resume test")
        gap = [f"during the gap {i}" for i in range(3)]
        for content in gap:
            data = message_create(str(channel.id), str(guild.id), content, message_id=new_snowflake())
            ctl.dispatch(sid, "MESSAGE_CREATE", data, guild_id=str(guild.id))
        assert answer.get("disconnected") == 1, answer

        await bot.wait_for("resumed", timeout=10)
        assert closed_codes(bot) == [4000], closed_codes(bot)
        await send_message(bot, ctl, sid, guild, "after resuming")
        await bot.wait_for("message", predicate=lambda m: m.content == "after resuming")
        await asyncio.sleep(1.0)

        got = [e.args[0].content for e in bot.log.matching("message")]
        assert got == gap + ["after resuming"], f"messages seen by on_message, in order: {got}"
        resumed_at = bot.log.matching("resumed")[0].at
        replayed_at = [e.at for e in bot.log.matching("message") if e.args[0].content in gap]
        assert all(t <= resumed_at for t in replayed_at), "missed dispatches must come before RESUMED"
        assert bot.log.count("ready") == 1, "discord.py re-identified instead of resuming"
        sent = op_codes(bot.log.sent_payloads())
        assert sent.count(2) == 1 and sent.count(6) == 1, f"ops sent by discord.py: {sent}"
        seqs = [p["s"] for p in bot.log.received_payloads() if p.get("op") == 0]
        assert seqs == list(range(1, len(seqs) + 1)), f"dispatch sequence numbers seen by discord.py: {seqs}"

        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] == before["gateway_session_id"], (before, after)
        assert after["seq"] == seqs[-1], (after, seqs[-1])


# --------------------------------------------------------------------------- zombie


@pytest.mark.server(heartbeat_interval=1000)
async def test_zombie(server: GatewayTape) -> None:
    """stop-acks → discord.py's zombie detection reconnects and resumes; after clearing the
    flags it stays healthy."""
    ctl = server.control
    sid, token = await new_session(server, "zombie")
    async with Bot(server, token, heartbeat_timeout=3.0) as bot:
        await bot.ready()
        # two healthy heartbeat intervals first
        await asyncio.sleep(2.2)
        assert bot.log.count("disconnect") == 0, bot.log.summary()
        before = await only_connection(ctl, sid)

        answer = await ctl.astop_acks(sid)
        assert answer.get("stop_acks") is True, answer
        status, flags = await ctl.aflags(sid)
        assert status == 200 and flags.get("stop_acks") is True, (status, flags)

        await bot.wait_for("resumed", timeout=12)
        assert bot.log.count("disconnect") >= 1
        await ctl.aclear_flags(sid)
        status, flags = await ctl.aflags(sid)
        assert status == 404, f"GET flags after DELETE answered {status} {flags}, SPEC §5 says 404"

        disconnects, resumes = bot.log.count("disconnect"), bot.log.count("resumed")
        acks_before = op_codes(bot.log.received_payloads()).count(11)
        await asyncio.sleep(5.0)  # five heartbeat intervals, more than heartbeat_timeout
        assert bot.log.count("disconnect") == disconnects, f"reconnected again after clearing: {bot.log.summary()}"
        assert bot.log.count("resumed") == resumes
        assert bot.log.count("ready") == 1, "discord.py re-identified instead of resuming"
        acks = op_codes(bot.log.received_payloads()).count(11) - acks_before
        assert acks >= 3, f"only {acks} heartbeat ACKs in 5 s at a 1 s interval"

        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] == before["gateway_session_id"], (before, after)


# --------------------------------------------------------------------------- invalidate


async def test_invalidate(server: GatewayTape) -> None:
    """invalidate + disconnect 4000 → RESUME answered with op 9 → IDENTIFY → fresh READY."""
    ctl = server.control
    sid, token = await new_session(server, "invalidate")
    async with Bot(server, token) as bot:
        await bot.ready()
        old_session = bot.client.ws.session_id
        before = await only_connection(ctl, sid)
        assert before["gateway_session_id"] == old_session

        answer = await ctl.ainvalidate(sid)
        assert answer.get("invalidated") is True, answer
        await ctl.adisconnect(sid, 4000)

        await bot.wait_for("ready", count=2, timeout=15)
        received = bot.log.received_payloads()
        invalid = [p for p in received if p.get("op") == 9]
        assert invalid and invalid[0].get("d") is False, f"expected op 9 d:false, got {invalid}"
        sent = op_codes(bot.log.sent_payloads())
        resume_at = sent.index(6) if 6 in sent else -1
        assert resume_at > 0, f"discord.py never tried to RESUME: {sent}"
        assert 2 in sent[resume_at + 1:], f"discord.py did not IDENTIFY after op 9: {sent}"
        assert bot.log.count("resumed") == 0

        new_session_id = bot.client.ws.session_id
        assert new_session_id and new_session_id != old_session
        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] == new_session_id, (before, after)
        assert after["gateway_session_id"] != before["gateway_session_id"]
        assert bot.client.guilds, "no guilds after the fresh READY"


# --------------------------------------------------------------------------- fatal


async def test_fatal(server: GatewayTape) -> None:
    """Disconnect 4004 → client.start() raises ConnectionClosed(4004), no reconnect."""
    ctl = server.control
    sid, token = await new_session(server, "fatal")
    async with Bot(server, token) as bot:
        await bot.ready()
        await ctl.adisconnect(sid, 4004, "Authentication failed.")
        assert bot.task is not None
        done, _ = await asyncio.wait({bot.task}, timeout=10)
        assert done, "client.start() still running 10 s after close 4004"
        exc = bot.task.exception()
        assert isinstance(exc, discord.errors.ConnectionClosed), f"start() ended with {exc!r}"
        assert exc.code == 4004, f"ConnectionClosed code {exc.code}"
        assert closed_codes(bot) == [4004], closed_codes(bot)

        await asyncio.sleep(1.5)
        sent = op_codes(bot.log.sent_payloads())
        assert sent.count(2) == 1 and 6 not in sent, f"discord.py reconnected: {sent}"
        assert await ctl.aopen_connections(sid) == []
        assert await ctl.aconnection_count() == 0


# --------------------------------------------------------------------------- reconnect


async def test_reconnect(server: GatewayTape) -> None:
    """op 7 RECONNECT from the control API → discord.py resumes."""
    ctl = server.control
    sid, token = await new_session(server, "reconnect")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        before = await only_connection(ctl, sid)
        answer = await ctl.areconnect(sid)
        assert answer.get("sent") == 1, answer
        await bot.wait_for("resumed", timeout=10)
        assert 7 in op_codes(bot.log.received_payloads())
        assert closed_codes(bot) == [4000], closed_codes(bot)  # discord.py closes with 4000 itself
        assert bot.log.count("ready") == 1, "discord.py re-identified instead of resuming"
        sent = op_codes(bot.log.sent_payloads())
        assert sent.count(2) == 1 and sent.count(6) == 1, sent

        # still fully working afterwards
        guild = bot.client.guilds[0]
        await send_message(bot, ctl, sid, guild, "after op 7")
        await bot.wait_for("message", predicate=lambda m: m.content == "after op 7")
        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] == before["gateway_session_id"], (before, after)


# --------------------------------------------------------------------------- compression


async def test_compression(server: GatewayTape) -> None:
    """discord.py asks for zlib-stream; the server records and uses it."""
    ctl = server.control
    wanted = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
    assert wanted == "zlib-stream", f"this venv's discord.py asks for {wanted}"
    sid, token = await new_session(server, "compression")
    async with Bot(server, token) as bot:
        await bot.ready()
        conn = await only_connection(ctl, sid)
        assert conn.get("compress") == wanted, conn
        assert "compress=zlib-stream" in str(conn.get("query")), conn

        frames = [e.args[1] for e in bot.log.matching("tape_frame")]
        assert frames, "discord.py received no websocket message"
        text = [f for f in frames if not isinstance(f, (bytes, bytearray))]
        assert not text, f"{len(text)} text frame(s) on a zlib-stream connection, e.g. {text[0]!r:.120}"
        assert frames[0][:1] == b"\x78", f"first frame has no zlib header: {frames[0][:8]!r}"
        assert all(bytes(f).endswith(b"\x00\x00\xff\xff") for f in frames), "a frame lacks the Z_SYNC_FLUSH suffix"
        # one zlib context for the whole connection: the frames inflate in order as one stream
        inflater = zlib.decompressobj()
        decoded = [json.loads(inflater.decompress(bytes(f))) for f in frames]
        assert decoded[0]["op"] == 10
        events = [p.get("t") for p in decoded if p.get("op") == 0]
        assert events[:1] == ["READY"] and "GUILD_CREATE" in events, events
        assert bot.log.count("ready") == 1


# --------------------------------------------------------------------------- shards


@pytest.mark.parametrize("which", ["default-fixture", "custom-fixture"])
async def test_shards(server: GatewayTape, which: str) -> None:
    """AutoShardedClient(shard_count=2): both shards ready with their shard pair, and a
    guild's MESSAGE_CREATE reaches only the owning shard."""
    ctl = server.control
    if which == "custom-fixture":
        fixture, expected = custom_fixture(SHARD_BOT_ID, "shardbot")
        sid, token = await new_session(server, "shards", fixture)
    else:
        expected = None
        sid, token = await new_session(server, "shards")

    async with Bot(server, token, sharded=True, shard_count=2, intents=intents(message_content=True)) as bot:
        await bot.ready(timeout=20)
        await bot.wait_for("shard_ready", count=2)
        client = bot.client
        assert sorted(client.shards) == [0, 1], client.shards
        assert sorted(e.args[0] for e in bot.log.matching("shard_ready")) == [0, 1]

        conns = await ctl.aopen_connections(sid)
        assert sorted(tuple(c.get("shard") or ()) for c in conns) == [(0, 2), (1, 2)], conns

        owners: Dict[int, List[int]] = {0: [], 1: []}
        for guild in client.guilds:
            assert guild.shard_id == shard_of(guild.id, 2)
            owners[guild.shard_id].append(guild.id)
        if expected is not None:
            assert {str(g.id) for g in client.guilds} == set(expected)
        # each shard's READY carries only its own guilds
        for shard_id in (0, 1):
            ready = [json.loads(e.args[1]) for e in bot.log.matching("tape_receive")
                     if e.args[0] == shard_id and '"READY"' in e.args[1]]
            ready = [p for p in ready if p.get("t") == "READY"]
            assert ready, f"shard {shard_id} saw no READY"
            d = ready[0]["d"]
            assert d.get("shard") == [shard_id, 2], d.get("shard")
            ids = sorted(int(g["id"]) for g in d.get("guilds", []))
            assert ids == sorted(owners[shard_id]), f"shard {shard_id} READY guilds {ids}, expected {owners[shard_id]}"
        assert owners[0] and owners[1], (
            f"SPEC §3: with two shards each shard owns at least one guild; guilds per shard: {owners}")

        for guild in client.guilds:
            content = f"routed to guild {guild.id}"
            answer = await send_message(bot, ctl, sid, guild, content, pass_guild_id=False)
            assert answer.get("delivered") == 1, f"dispatch for guild {guild.id} answered {answer}"
            events = await bot.wait_for("message", predicate=lambda m, c=content: m.content == c)
            assert events[0].args[0].guild.shard_id == guild.shard_id
        await asyncio.sleep(0.5)
        for guild in client.guilds:
            content = f"routed to guild {guild.id}"
            got = sorted(e.args[0] for e in bot.log.matching("tape_receive")
                         if '"MESSAGE_CREATE"' in e.args[1] and content in e.args[1])
            assert got == [shard_of(guild.id, 2)], f"guild {guild.id}'s message reached shards {got}"
            assert len(messages_with(bot, content)) == 1


# --------------------------------------------------------------------------- chunking


async def test_chunking(server: GatewayTape) -> None:
    """members intent without presences: discord.py requests members (op 8) at startup, the
    server answers, and on_ready does not wait for the 5 s chunk timeout."""
    sid, token = await new_session(server, "chunking")
    async with Bot(server, token, intents=intents(members=True, presences=False)) as bot:
        await bot.ready(timeout=20)
        connect_at = bot.log.matching("connect")[0].at
        ready_at = bot.log.matching("ready")[0].at

        requests = [p for p in bot.log.sent_payloads() if p.get("op") == 8]
        creates = [json.loads(e.args[1]) for e in bot.log.matching("tape_receive") if '"GUILD_CREATE"' in e.args[1]]
        sizes = {p["d"]["id"]: (len(p["d"].get("members", [])), p["d"].get("member_count")) for p in creates
                 if p.get("t") == "GUILD_CREATE"}
        assert requests, (
            "discord.py sent no op 8: every GUILD_CREATE already held its whole member list "
            f"(members, member_count per guild: {sizes}); PROTOCOL §1.8 says that without GUILD_PRESENCES "
            "GUILD_CREATE.members holds only the bot and users in voice")
        chunks = [json.loads(e.args[1]) for e in bot.log.matching("tape_receive") if '"GUILD_MEMBERS_CHUNK"' in e.args[1]]
        chunks = [p for p in chunks if p.get("t") == "GUILD_MEMBERS_CHUNK"]
        assert chunks, "no GUILD_MEMBERS_CHUNK received"
        for req in requests:
            nonce = req["d"].get("nonce")
            gid = str(req["d"]["guild_id"])
            mine = [c for c in chunks if str(c["d"]["guild_id"]) == gid]
            assert mine and all(c["d"].get("nonce") == nonce for c in mine), (req, [c["d"].get("nonce") for c in mine])

        assert ready_at - connect_at < 3.0, f"on_ready came {ready_at - connect_at:.2f}s after READY (chunk timeout is 5 s)"
        for guild in bot.client.guilds:
            assert guild.chunked, f"{guild.name}: {len(guild.members)} members cached, member_count {guild.member_count}"
            assert len(guild.members) == guild.member_count >= 20
