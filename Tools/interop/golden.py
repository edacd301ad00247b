"""The discord.py configuration of the golden recordings in recordings/*.sqlite.

Shared by the recorder (Tools/recordings/record_golden.py) and the replay tests
(test_replay.py): a bot replayed with `--verify` must be configured exactly like the bot that
was recorded, so both build their client here.

Every golden bot is discord.py 2.7.1 `discord.Client` (harness.TapeClient) with
  - intents: `discord.Intents.default()` + `message_content` (value GOLDEN_INTENTS),
  - `guild_ready_timeout=0.5`, `enable_debug_events=True`,
  - `before_identify_hook` that does not sleep (harness.TapeClient),
  - `heartbeat_timeout=3.0` for the zombie scenario only (discord.py's default, 60 s, elsewhere),
  - transport compression as discord.py asks for it (zlib-stream),
  - in `plain`: it answers every message starting with `!ping` through REST
    (`channel.send("pong ...")`; the mock answers 404, discord.py raises NotFound, ignored).
The server was `gatewaytape serve --heartbeat-interval 1000` (HELLO interval 1000 ms).
"""

from __future__ import annotations

from typing import Any, Dict

import discord

from harness import Bot, GatewayTape

HEARTBEAT_MS = 1000
SCENARIOS = ("plain", "resume", "zombie", "invalidate")


def golden_intents(message_content: bool = True) -> discord.Intents:
    value = discord.Intents.default()
    value.message_content = message_content
    return value


GOLDEN_INTENTS = golden_intents().value


def client_options(scenario: str) -> Dict[str, Any]:
    """Keyword arguments for harness.Bot for one golden scenario."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown golden scenario {scenario!r}")
    options: Dict[str, Any] = {"intents": golden_intents(), "guild_ready_timeout": 0.5, "enable_debug_events": True}
    if scenario == "zombie":
        options["heartbeat_timeout"] = 3.0
    return options


def pong_for(content: str) -> str:
    return "pong" + content[len("!ping"):]


def install_behaviour(bot: Bot, scenario: str) -> None:
    """What the bot under test does with the events it gets (the same when recorded and replayed)."""
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


def golden_bot(server: GatewayTape, token: str, scenario: str, **overrides: Any) -> Bot:
    options = client_options(scenario)
    options.update(overrides)
    bot = Bot(server, token, **options)
    install_behaviour(bot, scenario)
    return bot
