"""A large synthetic recording in the SPEC §7 format, written with plain sqlite3.

One session of two shards over about an hour: HELLO, IDENTIFY, READY and GUILD_CREATE on each
shard, then MESSAGE_CREATE / TYPING_START / MESSAGE_REACTION_ADD dispatches with increasing
sequence numbers, heartbeats every 41.25 s with their ACKs, a disconnect 4000 and a RESUME on
shard 1, a REST call now and then, and control rows. Used by test_report.py for the 100,000-frame
load-time budget; also usable by hand:

    python Tools/interop/generate_session.py big.sqlite --frames 100000
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE sessions(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT, created_ns INTEGER);
CREATE TABLE connections(id INTEGER PRIMARY KEY, session_id TEXT, gateway_session_id TEXT, shard_id INTEGER,
  shard_count INTEGER, opened_ns INTEGER, closed_ns INTEGER, close_code INTEGER, close_reason TEXT,
  closed_by TEXT, query TEXT);
CREATE TABLE frames(id INTEGER PRIMARY KEY, connection_id INTEGER, session_id TEXT, t_ns INTEGER, direction TEXT,
  op INTEGER, seq INTEGER, event TEXT, payload TEXT, wire_bytes INTEGER);
CREATE TABLE controls(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, action TEXT, args TEXT);
CREATE TABLE http(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, method TEXT, path TEXT, status INTEGER,
  request TEXT, response TEXT);
"""

SESSION = "big"
GUILDS = {0: "1099511627776000000", 1: "1099511627780194304"}
CHANNELS = {0: "1100000000000000101", 1: "1100000000000000111"}
INTERVAL_MS = 41250


def message(index: int, shard: int) -> dict:
    return {
        "id": str(1300000000000000000 + index), "channel_id": CHANNELS[shard], "guild_id": GUILDS[shard],
        "content": f"message {index}: " + "lorem ipsum dolor sit amet " * (1 + index % 5),
        "author": {"id": "1200000000000000002", "username": "alice", "discriminator": "0", "avatar": None,
                   "global_name": "Alice"},
        "member": {"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": False, "mute": False},
        "timestamp": "2024-01-01T00:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": False, "type": 0, "flags": 0, "components": [],
    }


def write_session(path: str, frames: int = 100_000, seed: int = 14) -> dict:
    """Writes the recording; returns its figures (frames, payload bytes, MESSAGE_CREATE count...)."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("format", "gatewaytape-recording/1"), ("tool_version", "generate_session.py"), ("mode", "serve"),
        ("created_at", "2026-01-01T00:00:00Z")])
    db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (SESSION, "generated", "00" * 32, 0))
    span_ns = 3_600_000_000_000
    rows = []
    figures = {"frames": 0, "payload_bytes": 0, "message_create": 0, "heartbeats": 0}

    def add(connection: int, t_ns: int, direction: str, payload: dict) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        rows.append((connection, SESSION, t_ns, direction, payload.get("op"), payload.get("s"), payload.get("t"),
                     text, len(text)))
        figures["payload_bytes"] += len(text.encode())
        if payload.get("t") == "MESSAGE_CREATE":
            figures["message_create"] += 1
        if payload.get("op") in (1, 11):
            figures["heartbeats"] += 1

    # connections: shard 0 (1), shard 1 (2, disconnected half-way with 4000), shard 1 resumed (3)
    half = span_ns // 2
    db.executemany("INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
        (1, SESSION, "gs-0", 0, 2, 1_000_000, span_ns + 5_000_000, 1000, None, "client", "v=10&encoding=json"),
        (2, SESSION, "gs-1", 1, 2, 2_000_000, half, 4000, "generated disconnect", "server", "v=10&encoding=json"),
        (3, SESSION, "gs-1", 1, 2, half + 800_000_000, span_ns + 5_000_000, 1000, None, "client", "v=10&encoding=json"),
    ])
    seq = {0: 0, 1: 0}
    for connection, shard, start in ((1, 0, 1_000_000), (2, 1, 2_000_000)):
        add(connection, start + 100_000, "out", {"op": 10, "d": {"heartbeat_interval": INTERVAL_MS}, "s": None, "t": None})
        add(connection, start + 5_000_000, "in", {"op": 2, "d": {"token": "redacted:0123456789ab", "intents": 53608189,
                                                                   "properties": {"os": "linux"}, "shard": [shard, 2]}})
        seq[shard] += 1
        add(connection, start + 9_000_000, "out", {"op": 0, "s": seq[shard], "t": "READY", "d": {
            "v": 10, "user": {"id": "1000000000000000001", "username": "mockbot", "bot": True},
            "session_id": f"gs-{shard}", "guilds": [{"id": GUILDS[shard], "unavailable": True}], "shard": [shard, 2]}})
        seq[shard] += 1
        add(connection, start + 10_000_000, "out", {"op": 0, "s": seq[shard], "t": "GUILD_CREATE",
                                                     "d": {"id": GUILDS[shard], "name": f"Guild {shard}", "channels": []}})
    add(3, half + 801_000_000, "out", {"op": 10, "d": {"heartbeat_interval": INTERVAL_MS}, "s": None, "t": None})
    add(3, half + 805_000_000, "in", {"op": 6, "d": {"token": "redacted:0123456789ab", "session_id": "gs-1", "seq": seq[1]}})
    add(3, half + 806_000_000, "out", {"op": 0, "s": seq[1] + 1, "t": "RESUMED", "d": {}})
    seq[1] += 1
    # heartbeats on each connection
    for connection, start, end in ((1, 1_000_000, span_ns), (2, 2_000_000, half), (3, half + 801_000_000, span_ns)):
        t = start + INTERVAL_MS * 1_000_000 // 3
        while t < end:
            add(connection, t, "in", {"op": 1, "d": 1})
            add(connection, t + 300_000, "out", {"op": 11, "d": None, "s": None, "t": None})
            t += INTERVAL_MS * 1_000_000 + rng.randrange(-200_000_000, 200_000_000)
    remaining = frames - len(rows)
    for index in range(remaining):
        t = 20_000_000 + (span_ns - 40_000_000) * index // max(remaining, 1)
        shard = index % 2
        connection = 1 if shard == 0 else (2 if t < half else 3)
        if connection == 3 and t < half + 810_000_000:
            connection, shard = 1, 0
        seq[shard] += 1
        kind = index % 10
        if kind < 7:
            payload = {"op": 0, "s": seq[shard], "t": "MESSAGE_CREATE", "d": message(index, shard)}
        elif kind < 9:
            payload = {"op": 0, "s": seq[shard], "t": "TYPING_START",
                       "d": {"channel_id": CHANNELS[shard], "guild_id": GUILDS[shard], "user_id": "1200000000000000002",
                             "timestamp": 1700000000 + index}}
        else:
            payload = {"op": 0, "s": seq[shard], "t": "MESSAGE_REACTION_ADD",
                       "d": {"user_id": "1200000000000000002", "channel_id": CHANNELS[shard],
                             "message_id": str(1300000000000000000 + index - 1), "guild_id": GUILDS[shard],
                             "emoji": {"id": None, "name": "👍"}}}
        add(connection, t, "out", payload)
    rows.sort(key=lambda row: row[2])
    db.executemany("INSERT INTO frames(connection_id, session_id, t_ns, direction, op, seq, event, payload, wire_bytes) "
                   "VALUES (?,?,?,?,?,?,?,?,?)", rows)
    figures["frames"] = len(rows)
    calls = []
    for index in range(200):
        t = 30_000_000 + span_ns * index // 200
        request = json.dumps({"headers": {"authorization": "redacted:0123456789ab"}, "body": {"content": f"pong {index}"}})
        response = json.dumps({"id": str(1400000000000000000 + index), "content": f"pong {index}"})
        status = 429 if index % 50 == 7 else 200
        calls.append((SESSION, t, "POST", f"/api/v10/channels/{CHANNELS[index % 2]}/messages", status, request, response))
        figures["payload_bytes"] += len(request) + len(response)
    db.executemany("INSERT INTO http(session_id, t_ns, method, path, status, request, response) VALUES (?,?,?,?,?,?,?)",
                   calls)
    controls = [(SESSION, half - 1_000_000, "disconnect", json.dumps({"code": 4000, "reason": "generated disconnect"}))]
    db.executemany("INSERT INTO controls(session_id, t_ns, action, args) VALUES (?,?,?,?)", controls)
    db.commit()
    db.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--frames", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(write_session(args.output, args.frames)))


if __name__ == "__main__":
    main()
