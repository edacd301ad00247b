"""The discord.py configuration of the golden recordings in recordings/*.sqlite.

Shared by the recorder (Tools/recordings/record_golden.py) and the replay tests
(test_replay.py): a bot replayed with `--verify` must be configured exactly like the bot that
was recorded, so both build their client here.

Every golden bot is discord.py 2.7.1 `discord.Client` (harness.TapeClient) with
  - intents: `discord.Intents.default()` + `message_content` (value GOLDEN_INTENTS), plus `members`
    in the members scenario (MEMBERS_INTENTS: discord.py then chunks every guild at startup with
    one op 8 per guild, sent back to back before the answers are read),
  - `guild_ready_timeout=0.5`, `enable_debug_events=True`,
  - `before_identify_hook` that does not sleep (harness.TapeClient),
  - `heartbeat_timeout=3.0` for the zombie scenario only (discord.py's default, 60 s, elsewhere),
  - transport compression as discord.py asks for it (zlib-stream),
  - in `plain`: it answers every message starting with `!ping` through REST
    (`channel.send("pong ...")`; the mock answered 404, discord.py raises NotFound, ignored).
  - in `acting`: a bot that acts through REST, one event at a time (ACTING_STEPS): `!hello` →
    `message.reply(REPLY)`, `message.add_reaction("👋")`, `reply.edit(content=EDITED)`; `!limited`
    → `channel.send("after the limit")` (recorded behind a 429 that discord.py waited out); slash
    command `ping` → `response.send_message("pong")`; `slow` → `response.defer()` then
    `followup.send("done", wait=True)`. `variant` changes it for the tests that --verify must fail:
    `other-text` (another reply text), `no-reaction` (skips the reaction), `extra-call` (also
    fetches the message it answers).
The server was `gatewaytape serve --heartbeat-interval 1000` (HELLO interval 1000 ms).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

import asyncio

import discord

from harness import Bot, GatewayTape

HEARTBEAT_MS = 1000
SCENARIOS = ("plain", "resume", "zombie", "invalidate", "members", "acting")
VARIANTS = ("same", "other-text", "no-reaction", "extra-call")
REPLY = "hello there"
EDITED = "hello there (edited)"


def golden_intents(message_content: bool = True, members: bool = False) -> discord.Intents:
    value = discord.Intents.default()
    value.message_content = message_content
    value.members = members
    return value


GOLDEN_INTENTS = golden_intents().value
MEMBERS_INTENTS = golden_intents(members=True).value


def member_traffic(path: str) -> List[str]:
    """A recording's op 8 requests and GUILD_MEMBERS_CHUNKs in wire order ("request" / "chunk").
    The members golden file must start with both requests before the first chunk: the order that
    replay once paired wrongly (issue 16)."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)  # immutable: no -wal/-shm
    try:
        rows = db.execute("SELECT direction FROM frames WHERE (direction = 'in' AND op = 8) "
                          "OR (direction = 'out' AND event = 'GUILD_MEMBERS_CHUNK') ORDER BY id").fetchall()
    finally:
        db.close()
    return ["request" if direction == "in" else "chunk" for (direction,) in rows]


def client_options(scenario: str) -> Dict[str, Any]:
    """Keyword arguments for harness.Bot for one golden scenario."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown golden scenario {scenario!r}")
    options: Dict[str, Any] = {"intents": golden_intents(members=scenario == "members"), "guild_ready_timeout": 0.5,
                               "enable_debug_events": True}
    if scenario == "zombie":
        options["heartbeat_timeout"] = 3.0
    return options


def pong_for(content: str) -> str:
    return "pong" + content[len("!ping"):]


def install_behaviour(bot: Bot, scenario: str, variant: str = "same") -> None:
    """What the bot under test does with the events it gets (the same when recorded and replayed)."""
    if scenario == "acting":
        install_acting(bot, variant)
    if scenario != "plain":
        return
    client = bot.client

    @client.event
    async def on_message(message: discord.Message) -> None:
        if client.user is not None and message.author.id == client.user.id:
            return
        if message.content.startswith("!ping"):
            try:
                await message.channel.send(pong_for(message.content))
            except discord.HTTPException:
                pass  # the mock answers POST /channels/{id}/messages with 404; the call is recorded
            client.dispatch("tape_replied", message.content)


def install_acting(bot: Bot, variant: str) -> None:
    """The `acting` bot: each event's REST calls are made before the next event's (one lock), so the
    bot calls in the same order at any replay speed."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    client = bot.client
    steps = asyncio.Lock()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if client.user is not None and message.author.id == client.user.id:
            return
        async with steps:
            if message.content == "!hello":
                reply = await message.reply(REPLY if variant != "other-text" else "hi, whoever you are")
                if variant != "no-reaction":
                    await message.add_reaction("👋")
                if variant == "extra-call":
                    await message.channel.fetch_message(message.id)
                edited = await reply.edit(content=EDITED)
                client.dispatch("tape_result", "reply", reply.id, reply.content)
                client.dispatch("tape_result", "edit", edited.id, edited.content)
            elif message.content == "!limited":
                sent = await message.channel.send("after the limit")
                client.dispatch("tape_result", "limited", sent.id, sent.content)
            else:
                return
            client.dispatch("tape_replied", message.content)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        name = (interaction.data or {}).get("name")
        async with steps:
            if name == "ping":
                await interaction.response.send_message("pong")
            elif name == "slow":
                await interaction.response.defer()
                followup = await interaction.followup.send("done", wait=True)
                client.dispatch("tape_result", "followup", followup.id, followup.content)
            client.dispatch("tape_answered", name)


def golden_bot(server: GatewayTape, token: str, scenario: str, variant: str = "same", **overrides: Any) -> Bot:
    options = client_options(scenario)
    options.update(overrides)
    bot = Bot(server, token, **options)
    install_behaviour(bot, scenario, variant)
    return bot
