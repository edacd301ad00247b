"""discord.py 2.7.1's everyday REST actions against gatewaytape's REST world (SPEC §4, §5).

Every assertion is on discord.py's own return values and exceptions, or on the control API's
view (actions log, channel messages, interaction state); never on the server's log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List

import discord

from harness import Bot, GatewayTape, message_create, new_snowflake

GUILD = 1099511627776000000
GENERAL = 1100000000000000101
MODERATOR_ROLE = 1100000000000000201
BOB = 1200000000000000002
MESSAGES_ROUTE = "POST /channels/{channel.id}/messages"


def intents() -> discord.Intents:
    value = discord.Intents.default()
    value.message_content = True
    value.members = True
    return value


async def start(server: GatewayTape, name: str) -> tuple[str, str]:
    created = await server.control.acreate_session(name=name)
    return created["id"], created["token"]


async def test_ping_pong_reply(server: GatewayTape) -> None:
    """The reference bot: `!ping` → `message.reply("pong")`; the reply comes back as on_message from itself."""
    ctl = server.control
    sid, token = await start(server, "ping")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()
        replies: List[discord.Message] = []

        async def on_message(message: discord.Message) -> None:
            if message.content == "!ping":
                replies.append(await message.reply("pong"))

        bot.client.event(on_message)
        ping_id = new_snowflake()
        await ctl.adispatch(sid, "MESSAGE_CREATE", message_create(str(GENERAL), str(GUILD), "!ping", message_id=ping_id))
        actions = await ctl.aactions(sid, route=MESSAGES_ROUTE, wait_ms=5000)
        assert [a["status"] for a in actions] == [200], actions
        assert actions[0]["request"]["content"] == "pong"
        assert str(actions[0]["request"]["message_reference"]["message_id"]) == ping_id
        own = await bot.wait_for("message", predicate=lambda m: m.author.id == bot.client.user.id)
        reply: discord.Message = own[0].args[0]
        assert reply.content == "pong"
        assert reply.reference is not None and reply.reference.message_id == int(ping_id)
        assert reply.type == discord.MessageType.reply
        # the MESSAGE_CREATE may arrive before discord.py has parsed the POST's answer
        await bot.log.wait_until(lambda: bool(replies), 5.0, "message.reply() to return")
        assert replies[0].id == reply.id == int(actions[0]["response"]["id"])


async def test_everyday_actions(server: GatewayTape) -> None:
    """Send, edit, react, pin, read history, fetch a member, add a role, open a DM and send there."""
    ctl = server.control
    sid, token = await start(server, "actions")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()
        channel = bot.client.get_channel(GENERAL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("hello")
        assert sent.content == "hello" and sent.author.id == bot.client.user.id
        edited = await sent.edit(content="hello, edited")
        assert edited.content == "hello, edited" and edited.edited_at is not None
        await sent.add_reaction("👍")
        await sent.pin()
        fetched = await channel.fetch_message(sent.id)
        assert fetched.pinned and [str(r.emoji) for r in fetched.reactions] == ["👍"] and fetched.reactions[0].me
        for i in range(3):
            await channel.send(f"history {i}")
        history = [m.content async for m in channel.history(limit=3)]
        assert history == ["history 2", "history 1", "history 0"]
        older = [m.content async for m in channel.history(limit=10, before=discord.Object(id=sent.id + 1))]
        assert older == ["hello, edited"]

        guild = bot.client.get_guild(GUILD)
        member = await guild.fetch_member(BOB)
        assert member.name == "bob"
        role = guild.get_role(MODERATOR_ROLE)
        await member.add_roles(role)
        refetched = await guild.fetch_member(BOB)
        assert MODERATOR_ROLE in [r.id for r in refetched.roles]
        update = await bot.wait_for("member_update", predicate=lambda before, after: after.id == BOB)
        assert MODERATOR_ROLE in [r.id for r in update[0].args[1].roles]

        user = await bot.client.fetch_user(BOB)
        dm = await user.create_dm()
        again = await user.create_dm()
        assert dm.id == again.id
        dm_message = await dm.send("hi bob")
        assert dm_message.channel.id == dm.id

        # discord.py's own objects and the control API agree on the world.
        stored = await ctl.achannel_messages(sid, str(GENERAL))
        assert [m["content"] for m in stored[:4]] == ["history 2", "history 1", "history 0", "hello, edited"]
        routes = [a["route"] for a in await ctl.aactions(sid)]
        for route in ["PATCH /channels/{channel.id}/messages/{message.id}",
                      "PUT /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me",
                      "PUT /guilds/{guild.id}/members/{user.id}/roles/{role.id}", "POST /users/@me/channels"]:
            assert route in routes, f"{route} not in the actions log: {routes}"
        assert all(a["status"] < 400 for a in await ctl.aactions(sid)), await ctl.aactions(sid)


async def test_slash_commands(server: GatewayTape) -> None:
    """One interaction answered at once, one deferred then followed up and its original edited, and one
    answered after 3.5 s, which discord.py sees as NotFound 10062."""
    ctl = server.control
    sid, token = await start(server, "slash")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()

        async def next_interaction(name: str) -> tuple[discord.Interaction, Dict[str, Any]]:
            created = await ctl.acreate_interaction(sid, {"name": name})
            assert created["delivered"] == 1, created
            events = await bot.wait_for("interaction", predicate=lambda i: i.data.get("name") == name)
            return events[0].args[0], created

        quick, created = await next_interaction("ping")
        await quick.response.send_message("pong")
        state = await ctl.ainteraction(sid, created["id"], wait_ms=5000)
        assert state["state"] == "responded" and state["response_type"] == 4
        assert state["original_message"]["content"] == "pong"
        original = await quick.original_response()
        assert original.content == "pong" and str(original.id) == state["original_message"]["id"]

        slow, created = await next_interaction("slow")
        await slow.response.defer()
        assert (await ctl.ainteraction(sid, created["id"]))["state"] == "deferred"
        followup = await slow.followup.send("done", wait=True)
        assert followup.content == "done"
        edited = await slow.edit_original_response(content="done, edited")
        assert edited.content == "done, edited"
        state = await ctl.ainteraction(sid, created["id"])
        assert state["state"] == "responded" and state["original_message"]["content"] == "done, edited"

        late, created = await next_interaction("late")
        await asyncio.sleep(3.5)
        try:
            await late.response.send_message("too late")
            raise AssertionError("a callback after 3.5 s was accepted")
        except discord.NotFound as error:
            assert error.code == 10062, error
        assert (await ctl.ainteraction(sid, created["id"]))["state"] == "expired"


async def test_rate_limit_is_waited_out(server: GatewayTape) -> None:
    """A 429 on POST .../messages: discord.py waits retry_after and retries; the log shows both calls."""
    ctl = server.control
    sid, token = await start(server, "429")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()
        await ctl.arest_fault(sid, method="POST", route="/channels/{channel.id}/messages", status=429, retry_after=0.75)
        began = time.monotonic()
        message = await bot.client.get_channel(GENERAL).send("after the limit")
        waited = time.monotonic() - began
        assert message.content == "after the limit"
        assert waited >= 0.7, f"discord.py retried after {waited:.2f} s, retry_after was 0.75 s"
        actions = await ctl.aactions(sid, route=MESSAGES_ROUTE)
        assert [a["status"] for a in actions] == [429, 200], actions
        assert actions[0]["response"] == {"message": "You are being rate limited.", "retry_after": 0.75, "global": False}


async def test_server_error_is_retried(server: GatewayTape) -> None:
    """A 500 on POST .../messages: discord.py retries and the message is sent once."""
    ctl = server.control
    sid, token = await start(server, "500")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()
        await ctl.arest_fault(sid, route="/channels/*/messages", status=500)
        message = await bot.client.get_channel(GENERAL).send("after the error")
        assert message.content == "after the error"
        actions = await ctl.aactions(sid, route=MESSAGES_ROUTE)
        assert [a["status"] for a in actions] == [500, 200], actions
        stored = await ctl.achannel_messages(sid, str(GENERAL))
        assert [m["content"] for m in stored].count("after the error") == 1


async def test_errors_reach_discordpy_as_its_exceptions(server: GatewayTape) -> None:
    """Unknown ids, an empty message and a too-long one surface as discord.py's exceptions with Discord's codes."""
    sid, token = await start(server, "errors")
    async with Bot(server, token, intents=intents()) as bot:
        await bot.ready()
        channel = bot.client.get_channel(GENERAL)
        try:
            await channel.fetch_message(1)
            raise AssertionError("fetched an unknown message")
        except discord.NotFound as error:
            assert error.code == 10008
        try:
            await channel.send("x" * 2001)
            raise AssertionError("sent 2,001 characters")
        except discord.HTTPException as error:
            assert error.status == 400 and error.code == 50035 and "content" in str(error)
