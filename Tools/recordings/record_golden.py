#!/usr/bin/env python3
"""Record the golden sessions that `gatewaytape replay --verify` is tested with (recordings/).

Each scenario starts its own `gatewaytape serve --port 0 --record recordings/NAME.sqlite
--overwrite --heartbeat-interval 1000`, runs an unmodified discord.py 2.7.1 client against it
(configured by Tools/interop/golden.py, the same module the replay tests use), drives the
scenario through the control API, closes the client (`client.close()`: close 1000) and stops
the server with SIGTERM (exit 0, recording flushed, no -wal/-shm left).

    Tools/interop/.venv/bin/python Tools/recordings/record_golden.py [--out recordings]
        [--only plain resume zombie invalidate members]

| file | scenario |
|---|---|
| plain.sqlite | READY, six `!ping N` MESSAGE_CREATEs ~300 ms apart; the bot answers each via REST |
| resume.sqlite | three messages, disconnect 4000, RESUME → RESUMED, three more messages |
| zombie.sqlite | stop-acks → discord.py (heartbeat_timeout 3 s) reconnects and resumes → flags cleared → healthy, one message |
| invalidate.sqlite | a message, invalidate + disconnect 4000 → RESUME → op 9 d:false → IDENTIFY → READY → a message |
| members.sqlite | `members` intent: two op 8 (one per guild) back to back, then both chunks; two messages |
| acting.sqlite | a bot that acts (golden.py): `!hello` → reply, reaction, edit; a 429 on POST .../messages armed, `!limited` → discord.py waits it out and sends; slash commands `ping` (answered at once) and `slow` (deferred, then a follow-up) |

The binary is `.build/debug/gatewaytape` unless GATEWAYTAPE_BIN says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from typing import Awaitable, Callable, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tools", "interop"))

import discord  # noqa: E402

from golden import HEARTBEAT_MS, SCENARIOS, golden_bot, member_traffic  # noqa: E402
from harness import Bot, GatewayTape, message_create, new_snowflake, record_run  # noqa: E402

TOKEN_NAME = "golden"
MESSAGE_SPACING = 0.3


def first_channel(bot: Bot) -> tuple:
    """The fixture's first guild and its first text channel (lowest ids: stable across runs)."""
    guild = min(bot.client.guilds, key=lambda g: g.id)
    channel = min(guild.text_channels, key=lambda c: c.id)
    return str(guild.id), str(channel.id)


async def send(server: GatewayTape, sid: str, bot: Bot, content: str, *, wait: bool = True) -> None:
    guild_id, channel_id = first_channel(bot)
    data = message_create(channel_id, guild_id, content, message_id=new_snowflake())
    answer = await server.control.adispatch(sid, "MESSAGE_CREATE", data, guild_id=guild_id)
    if wait:
        assert answer.get("delivered") == 1, answer
        await bot.wait_for("message", predicate=lambda m: m.content == content)


async def plain(server: GatewayTape, sid: str, bot: Bot) -> None:
    await asyncio.sleep(0.5)
    for i in range(1, 7):
        content = f"!ping {i}"
        await send(server, sid, bot, content)
        await bot.wait_for("tape_replied", predicate=lambda c: c == content)
        await asyncio.sleep(MESSAGE_SPACING)
    await asyncio.sleep(1.0)


async def resume(server: GatewayTape, sid: str, bot: Bot) -> None:
    await asyncio.sleep(0.5)
    for i in range(1, 4):
        await send(server, sid, bot, f"before the disconnect {i}")
        await asyncio.sleep(MESSAGE_SPACING)
    await server.control.adisconnect(sid, 4000, "golden resume")
    await bot.wait_for("resumed", timeout=10)
    await asyncio.sleep(0.5)
    for i in range(1, 4):
        await send(server, sid, bot, f"after resuming {i}")
        await asyncio.sleep(MESSAGE_SPACING)
    await asyncio.sleep(1.0)
    assert bot.log.count("ready") == 1 and bot.log.count("resumed") == 1, bot.log.summary()


async def zombie(server: GatewayTape, sid: str, bot: Bot) -> None:
    await asyncio.sleep(2.2)  # two healthy heartbeat intervals
    await server.control.astop_acks(sid)
    await bot.wait_for("resumed", timeout=12)
    await server.control.aclear_flags(sid)
    await asyncio.sleep(3.0)  # three healthy intervals with ACKs
    await send(server, sid, bot, "healthy again")
    await asyncio.sleep(1.0)
    assert bot.log.count("ready") == 1 and bot.log.count("resumed") == 1, bot.log.summary()


async def invalidate(server: GatewayTape, sid: str, bot: Bot) -> None:
    await asyncio.sleep(0.5)
    await send(server, sid, bot, "before the invalidation")
    await asyncio.sleep(0.5)
    await server.control.ainvalidate(sid)
    await server.control.adisconnect(sid, 4000, "golden invalidate")
    await bot.wait_for("ready", count=2, timeout=15)
    await asyncio.sleep(0.5)
    await send(server, sid, bot, "after identifying again")
    await asyncio.sleep(1.0)
    assert bot.log.count("resumed") == 0, bot.log.summary()


async def members(server: GatewayTape, sid: str, bot: Bot) -> None:
    assert all(guild.chunked for guild in bot.client.guilds), [(g.name, len(g.members)) for g in bot.client.guilds]
    await asyncio.sleep(0.5)
    for i in range(1, 3):
        await send(server, sid, bot, f"member count {i}")
        await asyncio.sleep(MESSAGE_SPACING)
    await asyncio.sleep(1.0)



async def acting(server: GatewayTape, sid: str, bot: Bot) -> None:
    await asyncio.sleep(0.5)
    await send(server, sid, bot, "!hello")
    await bot.wait_for("tape_replied", predicate=lambda c: c == "!hello")
    await asyncio.sleep(MESSAGE_SPACING)
    await server.control.arest_fault(sid, method="POST", route="/channels/{channel.id}/messages", status=429, retry_after=0.5)
    await send(server, sid, bot, "!limited")
    await bot.wait_for("tape_replied", predicate=lambda c: c == "!limited")
    await asyncio.sleep(MESSAGE_SPACING)
    for name in ("ping", "slow"):
        created = await server.control.acreate_interaction(sid, {"name": name})
        assert created["delivered"] == 1, created
        await bot.wait_for("tape_answered", predicate=lambda n: n == name)
        await asyncio.sleep(MESSAGE_SPACING)
    await asyncio.sleep(1.0)
    statuses = [a["status"] for a in await server.control.aactions(sid, route="POST /channels/{channel.id}/messages")]
    assert statuses == [200, 429, 200], statuses



DRIVERS: Dict[str, Callable[[GatewayTape, str, Bot], Awaitable[None]]] = {
    "plain": plain, "resume": resume, "zombie": zombie, "invalidate": invalidate, "members": members, "acting": acting,
}


async def run_bot(server: GatewayTape, scenario: str) -> None:
    created = await server.control.acreate_session(name=f"{TOKEN_NAME}-{scenario}")
    bot = golden_bot(server, created["token"], scenario)
    async with bot:  # leaving it: client.close() → close 1000
        await bot.ready()
        await DRIVERS[scenario](server, created["id"], bot)


def record(binary: str, path: str, scenario: str) -> None:
    record_run(binary, path, HEARTBEAT_MS, lambda server: run_bot(server, scenario), extra_args=["--overwrite"])
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)  # immutable: no -wal/-shm
    try:
        sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        messages = db.execute("SELECT count(*) FROM frames WHERE direction = 'out' AND event = 'MESSAGE_CREATE'").fetchone()[0]
        last = db.execute("SELECT max(t_ns) FROM frames").fetchone()[0] or 0
    finally:
        db.close()
    if sessions != 1:
        raise SystemExit(f"{path}: {sessions} sessions, expected 1")
    if scenario == "members":
        order = member_traffic(path)
        if order[:4] != ["request", "request", "chunk", "chunk"]:
            raise SystemExit(f"{path}: op 8 requests and chunks in the order {order}; the golden file must hold both "
                             "requests before the first chunk (what issue 16 replayed wrongly): record it again")
    print(f"recorded {os.path.relpath(path)}: {messages} MESSAGE_CREATE frames, {last / 1e9:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "recordings"))
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, help="record only these scenarios")
    args = parser.parse_args()
    binary = os.environ.get("GATEWAYTAPE_BIN", os.path.join(ROOT, ".build", "debug", "gatewaytape"))
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    for scenario in SCENARIOS:
        if args.only and scenario not in args.only:
            continue
        record(binary, os.path.join(args.out, scenario + ".sqlite"), scenario)


if __name__ == "__main__":
    main()
