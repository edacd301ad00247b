"""Gateway commands and multi-session behaviour as discord.py 2.7.1 uses them: member queries,
large-guild chunking, voice and presence updates, several bots on one server, RESUME with a
sequence ahead of the server."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import discord
import pytest

from harness import Bot, GatewayTape
from test_discordpy import (closed_codes, custom_fixture, intents, messages_with, new_session, only_connection,
                            op_codes, send_message)


def _received(bot: Bot, event: str) -> List[Dict[str, Any]]:
    out = []
    for e in bot.log.matching("tape_receive"):
        if f'"{event}"' in e.args[1]:
            payload = json.loads(e.args[1])
            if payload.get("t") == event:
                out.append(payload)
    return out


async def test_query_members(server: GatewayTape) -> None:
    """guild.query_members(query=...) and (user_ids=...) → filtered GUILD_MEMBERS_CHUNKs."""
    sid, token = await new_session(server, "query")
    async with Bot(server, token, intents=intents(members=True)) as bot:
        await bot.ready(timeout=20)
        guild = bot.client.guilds[0]
        everyone = {m.id: m.name for m in guild.members}
        assert len(everyone) >= 20

        prefix = sorted(everyone.values())[1][:2]
        expected = sorted(n for n in everyone.values() if n.lower().startswith(prefix.lower()))
        found = await guild.query_members(query=prefix, limit=100)
        assert sorted(m.name for m in found) == expected, f"query {prefix!r}"

        ids = sorted(everyone)[:3]
        by_id = await guild.query_members(user_ids=ids)
        assert sorted(m.id for m in by_id) == ids

        unknown = 1999999999999999999
        partial = await guild.query_members(user_ids=[ids[0], unknown])
        assert [m.id for m in partial] == [ids[0]]
        chunk = _received(bot, "GUILD_MEMBERS_CHUNK")[-1]["d"]
        assert [int(x) for x in chunk.get("not_found", [])] == [unknown], chunk.get("not_found")


async def test_large_guild_chunking(server: GatewayTape) -> None:
    """A guild with 2,500 members arrives in chunks of at most 1,000 and discord.py ends up
    with all of them."""
    bot_id = "1000000000000000081"
    members = [{"user": {"id": bot_id, "username": "bigbot", "bot": True}}]
    members += [{"user": {"id": str(1500000000000000000 + i), "username": f"member{i:04d}"}} for i in range(2499)]
    fixture = {
        "user": {"id": bot_id, "username": "bigbot"},
        "guilds": [{"id": str(310_000_000_000 << 22), "name": "Big Guild",
                    "channels": [{"id": "1600000000000000001", "name": "general"}], "members": members}],
    }
    sid, token = await new_session(server, "big", fixture)
    async with Bot(server, token, intents=intents(members=True)) as bot:
        await bot.ready(timeout=30)
        guild = bot.client.guilds[0]
        assert guild.member_count == 2500
        assert guild.chunked and len(guild.members) == 2500, (len(guild.members), guild.member_count)
        chunks = [p["d"] for p in _received(bot, "GUILD_MEMBERS_CHUNK")]
        assert all(len(c["members"]) <= 1000 for c in chunks), [len(c["members"]) for c in chunks]
        assert sorted(c["chunk_index"] for c in chunks) == list(range(len(chunks)))
        assert {c["chunk_count"] for c in chunks} == {len(chunks)} and len(chunks) >= 3
        create = _received(bot, "GUILD_CREATE")[0]["d"]
        assert create.get("large") is True, "a guild over large_threshold (250) must have large: true"


async def test_voice_state_update(server: GatewayTape) -> None:
    """op 4 joining a voice channel → VOICE_STATE_UPDATE (discord.py updates guild.me.voice) and
    VOICE_SERVER_UPDATE; leaving → VOICE_STATE_UPDATE with channel null."""
    sid, token = await new_session(server, "voice")
    async with Bot(server, token) as bot:
        await bot.ready()
        guild = next(g for g in bot.client.guilds if g.voice_channels)
        channel = guild.voice_channels[0]
        await guild.change_voice_state(channel=channel, self_deaf=True)
        events = await bot.wait_for("voice_state_update", timeout=5)
        member, before, after = events[0].args
        assert member.id == bot.client.user.id
        assert before.channel is None and after.channel is not None and after.channel.id == channel.id
        assert after.self_deaf is True
        assert guild.me.voice is not None and guild.me.voice.channel == channel
        await bot.log.wait_until(lambda: bool(_received(bot, "VOICE_SERVER_UPDATE")), 5, "VOICE_SERVER_UPDATE")
        server_update = _received(bot, "VOICE_SERVER_UPDATE")[0]["d"]
        assert str(server_update["guild_id"]) == str(guild.id) and server_update.get("token")
        assert "endpoint" in server_update

        await guild.change_voice_state(channel=None)
        events = await bot.wait_for("voice_state_update", count=2, timeout=5)
        _, before, after = events[1].args
        assert before.channel == channel and after.channel is None
        assert bot.log.count("disconnect") == 0


async def test_presence_update(server: GatewayTape) -> None:
    """op 3 is accepted: the connection stays up and keeps working."""
    sid, token = await new_session(server, "presence")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        await bot.client.change_presence(status=discord.Status.idle, activity=discord.Game("interop"))
        await asyncio.sleep(0.5)
        assert 3 in op_codes(bot.log.sent_payloads())
        assert bot.log.count("disconnect") == 0
        await send_message(bot, server.control, sid, bot.client.guilds[0], "after presence")
        await bot.wait_for("message", predicate=lambda m: m.content == "after presence")


async def test_sessions_are_isolated(server: GatewayTape) -> None:
    """Two bots on one server: each gets its own fixture and only its own dispatches."""
    ctl = server.control
    fixture_a, expected_a = custom_fixture("1000000000000000091", "bot-a")
    sid_a, token_a = await new_session(server, "a", fixture_a)
    sid_b, token_b = await new_session(server, "b")
    async with Bot(server, token_a, intents=intents(message_content=True)) as a, \
            Bot(server, token_b, intents=intents(message_content=True)) as b:
        await asyncio.gather(a.ready(), b.ready())
        assert {str(g.id) for g in a.client.guilds} == set(expected_a)
        assert a.client.user.name == "bot-a" and b.client.user.name != "bot-a"
        assert {str(g.id) for g in b.client.guilds}.isdisjoint(expected_a)

        answer = await send_message(a, ctl, sid_a, a.client.guilds[0], "for bot a only")
        assert answer.get("delivered") == 1
        await a.wait_for("message", predicate=lambda m: m.content == "for bot a only")
        await asyncio.sleep(0.5)
        assert messages_with(b, "for bot a only") == []
        assert not any("for bot a only" in e.args[1] for e in b.log.matching("tape_receive"))

        await ctl.adisconnect(sid_b, 4000)
        await b.wait_for("resumed", timeout=10)
        assert a.log.count("disconnect") == 0
        assert len(await ctl.aopen_connections(sid_a)) == 1
        assert await ctl.aconnection_count() == 2
        listed = {s["id"]: s for s in await ctl.asessions()}
        assert sid_a in listed and sid_b in listed, listed


async def test_resume_with_sequence_ahead_4007(server: GatewayTape) -> None:
    """A RESUME whose seq is ahead of the server → close 4007; the following RESUME gets op 9
    d:false and discord.py identifies again (SPEC §3)."""
    ctl = server.control
    sid, token = await new_session(server, "seq-ahead")
    async with Bot(server, token) as bot:
        await bot.ready()
        bot.client.ws.sequence = (bot.client.ws.sequence or 0) + 1000  # a client bug, simulated
        await ctl.areconnect(sid)
        await bot.wait_for("ready", count=2, timeout=15)
        codes = closed_codes(bot)
        assert 4007 in codes, f"close codes seen by discord.py: {codes}"
        op9 = [p.get("d") for p in bot.log.received_payloads() if p.get("op") == 9]
        assert op9 == [False], op9
        conn = await only_connection(ctl, sid)
        assert conn["gateway_session_id"] == bot.client.ws.session_id
