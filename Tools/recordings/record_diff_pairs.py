#!/usr/bin/env python3
"""Record the discord.py runs that `gatewaytape diff`'s tests compare (recordings/diff/).

Each scenario starts its own `gatewaytape serve --record FILE --heartbeat-interval 1000`, runs
discord.py 2.7.1 against it for a few seconds (ready, one MESSAGE_CREATE dispatched through the
control API, three or four heartbeats), closes the bot (close 1000) and stops the server with
SIGTERM, so the file is flushed and no -wal/-shm remain.

    Tools/interop/.venv/bin/python Tools/recordings/record_diff_pairs.py [--out recordings/diff]
        [--overwrite] [--only NAME ...]

The pairs the tests diff against `baseline.sqlite`:

| file | differs from baseline by | expected verdict |
|---|---|---|
| baseline-rerun.sqlite | nothing (new token, session ids, message ids, timing jitter) | equal |
| intents.sqlite | no MESSAGE_CONTENT intent | differs (IDENTIFY /d/intents) |
| presence.sqlite | IDENTIFY presence (dnd, playing a game) | differs (IDENTIFY /d/presence) |
| sharded.sqlite | AutoShardedClient with 2 shards | differs (shards, /gateway/bot) |
| answers.sqlite | the bot answers the message (REST POST, 404 here) | differs (added REST step) |

The binary is `.build/debug/gatewaytape` unless GATEWAYTAPE_BIN says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any, Callable, Dict, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tools", "interop"))

import discord  # noqa: E402

from harness import Bot, GatewayTape, message_create, new_snowflake, record_run  # noqa: E402

HEARTBEAT_MS = 1000
RUN_SECONDS = 3.6


def intents(message_content: bool = True) -> discord.Intents:
    value = discord.Intents.default()
    value.message_content = message_content
    return value


class Scenario:
    def __init__(self, name: str, *, message_content: bool = True, sharded: bool = False,
                 presence: bool = False, answers: bool = False):
        self.name = name
        self.message_content = message_content
        self.sharded = sharded
        self.presence = presence
        self.answers = answers

    def client_options(self) -> Dict[str, Any]:
        options: Dict[str, Any] = {"intents": intents(self.message_content), "sharded": self.sharded}
        if self.sharded:
            options["shard_count"] = 2
        if self.presence:
            options["activity"] = discord.Game("gatewaytape")
            options["status"] = discord.Status.dnd
        return options


SCENARIOS = [
    Scenario("baseline"),
    Scenario("baseline-rerun"),
    Scenario("intents", message_content=False),
    Scenario("presence", presence=True),
    Scenario("sharded", sharded=True),
    Scenario("answers", answers=True),
]


async def run_bot(server: GatewayTape, scenario: Scenario) -> None:
    created = await server.control.acreate_session(name=scenario.name)
    sid, token = created["id"], created["token"]
    bot = Bot(server, token, **scenario.client_options())
    if scenario.answers:
        @bot.client.event
        async def on_message(message: discord.Message) -> None:  # noqa: F811
            if message.author.id != bot.client.user.id:
                try:
                    await message.channel.send(f"pong: {message.content}")
                except discord.HTTPException:
                    pass  # the mock answers unknown REST routes with 404; the call is recorded
    async with bot:
        await bot.ready()
        guild = min(bot.client.guilds, key=lambda g: g.id)
        channel = min(guild.text_channels, key=lambda c: c.id)
        data = message_create(str(channel.id), str(guild.id), "ping", message_id=new_snowflake())
        await server.control.adispatch(sid, "MESSAGE_CREATE", data, guild_id=str(guild.id))
        await bot.wait_for("message")
        await asyncio.sleep(RUN_SECONDS)


def record(binary: str, path: str, scenario: Scenario) -> None:
    record_run(binary, path, HEARTBEAT_MS, lambda server: run_bot(server, scenario))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "recordings", "diff"))
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--only", nargs="*", help="record only these scenarios")
    args = parser.parse_args()
    binary = os.environ.get("GATEWAYTAPE_BIN", os.path.join(ROOT, ".build", "debug", "gatewaytape"))
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    for scenario in SCENARIOS:
        if args.only and scenario.name not in args.only:
            continue
        path = os.path.join(args.out, scenario.name + ".sqlite")
        if os.path.exists(path):
            if not args.overwrite:
                raise SystemExit(f"{path} exists (use --overwrite)")
            os.unlink(path)
        record(binary, path, scenario)
        print(f"recorded {path}")


if __name__ == "__main__":
    main()
