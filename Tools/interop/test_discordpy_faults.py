"""More of SPEC §3-§5 as discord.py 2.7.1 experiences it: the remaining fault controls, session
timeouts, intent rules, strict tokens, /gateway/bot and shutdown."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from harness import Bot, GatewayTape, message_create, new_snowflake, shard_of
from test_discordpy import (closed_codes, custom_fixture, intents, new_session, only_connection, op_codes,
                            send_message, text_channel)


async def test_drop_resumes(server: GatewayTape) -> None:
    """drop: TCP cut with no close frame → discord.py resumes the same gateway session."""
    ctl = server.control
    sid, token = await new_session(server, "drop")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        before = await only_connection(ctl, sid)
        answer = await ctl.adrop(sid)
        assert answer.get("dropped") == 1, answer
        await bot.wait_for("resumed", timeout=10)
        codes = closed_codes(bot)
        assert len(codes) == 1 and codes[0] not in (1000, 1001, 4000), f"close seen by discord.py: {codes}"
        assert bot.log.count("ready") == 1
        await send_message(bot, ctl, sid, bot.client.guilds[0], "after the drop")
        await bot.wait_for("message", predicate=lambda m: m.content == "after the drop")
        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] == before["gateway_session_id"]


@pytest.mark.parametrize("resumable", [True, False])
async def test_invalid_session_op9(server: GatewayTape, resumable: bool) -> None:
    """op 9 from the control API: d:true → discord.py resumes; d:false → it identifies anew."""
    ctl = server.control
    sid, token = await new_session(server, "op9")
    async with Bot(server, token) as bot:
        await bot.ready()
        before = await only_connection(ctl, sid)
        answer = await ctl.ainvalid_session(sid, resumable)
        assert answer.get("sent") == 1, answer
        if resumable:
            await bot.wait_for("resumed", timeout=10)
            assert bot.log.count("ready") == 1
        else:
            await bot.wait_for("ready", count=2, timeout=15)
            assert bot.log.count("resumed") == 0
        op9 = [p for p in bot.log.received_payloads() if p.get("op") == 9]
        assert [p.get("d") for p in op9] == [resumable], op9
        await asyncio.sleep(0.3)
        after = await only_connection(ctl, sid)
        same = after["gateway_session_id"] == before["gateway_session_id"]
        assert same == resumable, (before, after)
        sent = op_codes(bot.log.sent_payloads())
        assert sent.count(6) == (1 if resumable else 0) and sent.count(2) == (1 if resumable else 2), sent


async def test_heartbeat_request(server: GatewayTape) -> None:
    """op 1 from the server → discord.py heartbeats at once with its latest sequence."""
    ctl = server.control
    sid, token = await new_session(server, "hb-request")
    async with Bot(server, token) as bot:
        await bot.ready()
        await asyncio.sleep(0.2)
        beats_before = op_codes(bot.log.sent_payloads()).count(1)
        answer = await ctl.arequest_heartbeat(sid)
        assert answer.get("sent") == 1, answer
        await bot.log.wait_until(lambda: op_codes(bot.log.sent_payloads()).count(1) > beats_before, 2.0,
                                 "a heartbeat answering the server's op 1")
        beat = [p for p in bot.log.sent_payloads() if p.get("op") == 1][-1]
        assert beat["d"] == bot.client.ws.sequence, beat
        received = op_codes(bot.log.received_payloads())
        assert 1 in received
        await asyncio.sleep(0.3)
        assert bot.log.count("disconnect") == 0
        assert op_codes(bot.log.received_payloads()).count(11) >= 2  # the first beat's ACK and this one's


@pytest.mark.server(heartbeat_interval=1000)
async def test_missed_heartbeats_close_4009(server: GatewayTape) -> None:
    """No heartbeat for 1.5 intervals → close 4009; the RESUME after it gets op 9 d:false and
    discord.py identifies again."""
    ctl = server.control
    sid, token = await new_session(server, "hb-timeout")
    async with Bot(server, token) as bot:
        await bot.ready()
        before = await only_connection(ctl, sid)
        time.sleep(3.0)  # block discord.py's loop: its heartbeat thread cannot send anything
        await bot.wait_for("ready", count=2, timeout=15)
        assert closed_codes(bot)[:1] == [4009], closed_codes(bot)
        op9 = [p.get("d") for p in bot.log.received_payloads() if p.get("op") == 9]
        assert op9 == [False], f"SPEC §3: RESUME after a 4009 close gets op 9 d:false; got op 9s {op9}"
        after = await only_connection(ctl, sid)
        assert after["gateway_session_id"] != before["gateway_session_id"]


async def test_message_content_intent(server: GatewayTape) -> None:
    """Without MESSAGE_CONTENT, content is stripped unless the bot is mentioned (SPEC §3)."""
    ctl = server.control
    sid, token = await new_session(server, "content")
    async with Bot(server, token) as bot:  # Intents.default(): no message_content
        await bot.ready()
        me = bot.client.user
        guild = bot.client.guilds[0]
        channel = text_channel(guild)
        plain = message_create(str(channel.id), str(guild.id), "secret words", message_id=new_snowflake())
        plain["embeds"] = [{"title": "an embed"}]
        await ctl.adispatch(sid, "MESSAGE_CREATE", plain, guild_id=str(guild.id))
        mention = message_create(str(channel.id), str(guild.id), f"<@{me.id}> hello", message_id=new_snowflake())
        mention["mentions"] = [{"id": str(me.id), "username": me.name, "discriminator": "0", "avatar": None,
                                "bot": True, "public_flags": 0, "global_name": None}]
        await ctl.adispatch(sid, "MESSAGE_CREATE", mention, guild_id=str(guild.id))
        events = await bot.wait_for("message", count=2)
        first, second = events[0].args[0], events[1].args[0]
        assert first.id == int(plain["id"]) and first.content == "" and first.embeds == [], (first.content, first.embeds)
        assert second.content == f"<@{me.id}> hello" and me in second.mentions


async def test_dm_goes_to_shard_zero(server: GatewayTape) -> None:
    """A DM MESSAGE_CREATE (no guild id) reaches shard 0 only."""
    ctl = server.control
    fixture, _ = custom_fixture("1000000000000000078", "dmbot")
    sid, token = await new_session(server, "dm", fixture)
    async with Bot(server, token, sharded=True, shard_count=2, intents=intents(message_content=True)) as bot:
        await bot.ready(timeout=20)
        data = message_create("1400000000000000001", None, "a direct message", message_id=new_snowflake())
        data["channel_type"] = 1
        answer = await ctl.adispatch(sid, "MESSAGE_CREATE", data)
        assert answer.get("delivered") == 1, answer
        events = await bot.wait_for("message", predicate=lambda m: m.content == "a direct message")
        assert events[0].args[0].guild is None
        await asyncio.sleep(0.3)
        got = sorted(e.args[0] for e in bot.log.matching("tape_receive") if "a direct message" in e.args[1])
        assert got == [0], f"the DM reached shards {got}"


async def test_autosharded_uses_gateway_bot(server: GatewayTape) -> None:
    """AutoShardedClient() without shard_count asks GET /gateway/bot and follows its answer."""
    ctl = server.control
    sid, token = await new_session(server, "gateway-bot")
    async with Bot(server, token, sharded=True) as bot:
        await bot.ready(timeout=20)
        count = bot.client.shard_count
        assert count and count >= 1
        conns = await ctl.aopen_connections(sid)
        assert sorted(tuple(c.get("shard") or ()) for c in conns) == [(i, count) for i in range(count)], conns
        assert sum(1 for g in bot.client.guilds if not g.unavailable) >= 2


@pytest.mark.server(args=["--strict-tokens"])
async def test_strict_tokens(server: GatewayTape) -> None:
    """--strict-tokens: an unknown token fails discord.py's login (REST 401 → LoginFailure);
    a token made through the control API works."""
    with pytest.raises(discord.LoginFailure):
        async with Bot(server, "MTAwMDAwMDAwMDAwMDAwMDAwMQ.AAAAAA.not-a-token-the-server-knows-xx") as bot:
            assert bot.task is not None
            await asyncio.wait_for(bot.task, timeout=10)
    sid, token = await new_session(server, "strict")
    async with Bot(server, token) as bot:
        await bot.ready()
        assert len(await server.control.aopen_connections(sid)) == 1


async def test_privileged_intent_not_approved(server: GatewayTape) -> None:
    """A privileged intent the fixture does not approve → close 4014 → PrivilegedIntentsRequired."""
    fixture, _ = custom_fixture("1000000000000000079", "unprivileged")
    fixture["approved_intents"] = []
    sid, token = await new_session(server, "no-privileges", fixture)
    async with Bot(server, token, intents=intents(members=True)) as bot:
        assert bot.task is not None
        done, _ = await asyncio.wait({bot.task}, timeout=10)
        assert done, "client.start() still running 10 s after IDENTIFY with an unapproved intent"
        exc = bot.task.exception()
        assert isinstance(exc, discord.PrivilegedIntentsRequired), f"start() ended with {exc!r}"
        assert closed_codes(bot) == [4014], closed_codes(bot)
    # the same session is fine without the privileged intent
    async with Bot(server, token) as bot:
        await bot.ready()


async def test_shutdown_closes_1001(server: GatewayTape) -> None:
    """SIGTERM with a bot connected: the bot sees close 1001 and the server exits 0 (SPEC §1)."""
    sid, token = await new_session(server, "shutdown")
    async with Bot(server, token) as bot:
        await bot.ready()
        code = await asyncio.to_thread(server.stop)
        assert code == 0, f"gatewaytape exited with {code} after SIGTERM\n{server.stderr_tail()}"
        await bot.wait_for("disconnect", timeout=5)
        await bot.log.wait_until(lambda: bool(closed_codes(bot)), 5, "discord.py to see the close")
        assert closed_codes(bot)[0] == 1001, closed_codes(bot)


async def test_intent_filtering(server: GatewayTape) -> None:
    """Without GUILD_MESSAGES a guild message is not delivered; DMs still are (DIRECT_MESSAGES)."""
    ctl = server.control
    sid, token = await new_session(server, "filtering")
    async with Bot(server, token, intents=intents(guild_messages=False, message_content=True)) as bot:
        await bot.ready()
        guild = bot.client.guilds[0]
        answer = await send_message(bot, ctl, sid, guild, "filtered out")
        assert answer.get("delivered") == 0, f"GUILD_MESSAGES is off, yet dispatch answered {answer}"
        dm = message_create("1400000000000000002", None, "a dm gets through", message_id=new_snowflake())
        answer = await ctl.adispatch(sid, "MESSAGE_CREATE", dm)
        assert answer.get("delivered") == 1, answer
        await bot.wait_for("message", predicate=lambda m: m.content == "a dm gets through")
        await asyncio.sleep(0.3)
        assert not any("filtered out" in e.args[1] for e in bot.log.matching("tape_receive"))


async def test_undocumented_intent_4013(server: GatewayTape) -> None:
    """An intents value with an undocumented bit (18) → close 4013 → ConnectionClosed(4013)."""
    sid, token = await new_session(server, "bad-intents")
    bad = discord.Intents._from_value(discord.Intents.default().value | (1 << 18))
    async with Bot(server, token, intents=bad) as bot:
        assert bot.task is not None
        done, _ = await asyncio.wait({bot.task}, timeout=10)
        assert done, "client.start() still running 10 s after IDENTIFY with bad intents"
        exc = bot.task.exception()
        assert isinstance(exc, discord.errors.ConnectionClosed) and exc.code == 4013, repr(exc)


async def test_bad_shard_4010(server: GatewayTape) -> None:
    """IDENTIFY with shard [2, 2] → close 4010 → AutoShardedClient raises ConnectionClosed(4010)."""
    sid, token = await new_session(server, "bad-shard")
    async with Bot(server, token, sharded=True, shard_count=2, shard_ids=[2]) as bot:
        assert bot.task is not None
        done, _ = await asyncio.wait({bot.task}, timeout=10)
        assert done, "client.start() still running 10 s after IDENTIFY with shard [2, 2]"
        exc = bot.task.exception()
        assert isinstance(exc, discord.errors.ConnectionClosed) and exc.code == 4010, repr(exc)


async def test_sharded_session_faults(server: GatewayTape) -> None:
    """disconnect and op 7 act on every connection of a session: both shards resume."""
    ctl = server.control
    fixture, _ = custom_fixture("1000000000000000080", "shardfaults")
    sid, token = await new_session(server, "sharded-faults", fixture)
    async with Bot(server, token, sharded=True, shard_count=2, intents=intents(message_content=True)) as bot:
        await bot.ready(timeout=20)
        before = sorted(c["gateway_session_id"] for c in await ctl.aopen_connections(sid))
        assert len(before) == 2 and before[0] != before[1], before
        answer = await ctl.adisconnect(sid, 4000)
        assert answer.get("disconnected") == 2, answer
        await bot.wait_for("shard_resumed", count=2, timeout=10)
        assert sorted(e.args[0] for e in bot.log.matching("shard_resumed")) == [0, 1]
        answer = await ctl.areconnect(sid)
        assert answer.get("sent") == 2, answer
        await bot.wait_for("shard_resumed", count=4, timeout=10)
        assert bot.log.count("shard_ready") == 2
        after = sorted(c["gateway_session_id"] for c in await ctl.aopen_connections(sid))
        assert after == before
        for guild in bot.client.guilds:
            await send_message(bot, ctl, sid, guild, f"still routed {guild.id}", pass_guild_id=False)
            await bot.wait_for("message", predicate=lambda m, c=f"still routed {guild.id}": m.content == c)


async def test_repeated_resumes(server: GatewayTape) -> None:
    """Five server closes in a row with codes discord.py resumes after (4000, 4001, 4002, 4005, 3000):
    every one resumes the same gateway session, sequence numbers stay continuous."""
    ctl = server.control
    sid, token = await new_session(server, "repeated")
    async with Bot(server, token, intents=intents(message_content=True)) as bot:
        await bot.ready()
        guild = bot.client.guilds[0]
        gsid = (await only_connection(ctl, sid))["gateway_session_id"]
        for i, code in enumerate([4000, 4001, 4002, 4005, 3000]):
            await ctl.adisconnect(sid, code)
            await bot.wait_for("resumed", count=i + 1, timeout=10)
            await send_message(bot, ctl, sid, guild, f"after resume {i}")
            await bot.wait_for("message", predicate=lambda m, c=f"after resume {i}": m.content == c)
        assert closed_codes(bot) == [4000, 4001, 4002, 4005, 3000]
        assert bot.log.count("ready") == 1
        seqs = [p["s"] for p in bot.log.received_payloads() if p.get("op") == 0]
        assert seqs == list(range(1, len(seqs) + 1)), seqs
        assert (await only_connection(ctl, sid))["gateway_session_id"] == gsid


async def test_oversized_payload_4002(server: GatewayTape) -> None:
    """A client payload over 4096 bytes (a huge presence) → close 4002; discord.py resumes."""
    sid, token = await new_session(server, "oversized")
    async with Bot(server, token) as bot:
        await bot.ready()
        await bot.client.change_presence(activity=discord.Game("x" * 5000))
        await bot.wait_for("resumed", timeout=10)
        assert closed_codes(bot) == [4002], closed_codes(bot)
        assert bot.log.count("ready") == 1


@pytest.mark.parametrize("version", [9, 8])
async def test_api_version(server: GatewayTape, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """?v=9 is served; ?v=8 is refused with close 4012 (ConnectionClosed, no reconnect)."""
    monkeypatch.setattr(discord.http, "INTERNAL_API_VERSION", version)
    sid, token = await new_session(server, f"v{version}")
    async with Bot(server, token) as bot:
        if version == 9:
            await bot.ready()
            assert "v=9" in str((await only_connection(server.control, sid)).get("query"))
            return
        assert bot.task is not None
        done, _ = await asyncio.wait({bot.task}, timeout=10)
        assert done, "client.start() still running 10 s after connecting with v=8"
        exc = bot.task.exception()
        assert isinstance(exc, discord.errors.ConnectionClosed) and exc.code == 4012, repr(exc)
