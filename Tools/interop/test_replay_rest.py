"""REST during a replay (SPEC §8; issue 11) with discord.py 2.7.1 as the bot under test.

recordings/acting.sqlite holds a bot that acts (golden.py's `acting`): a reply, a reaction, an
edit, a send behind a 429 it waited out, a slash command answered at once and one deferred with
a follow-up. Replayed to the same bot, every discord.py call returns the recorded objects and
`--verify` passes at 1x, 4x and full speed, the bot's own MESSAGE_CREATE never before its POST.
A bot that says something else, skips the reaction or makes an extra call fails naming the
call. A copy written by Python's sqlite3 with only SPEC §7's first tables (no `cause_http_id`,
`route`, `response_headers`) replays the same way, its REST-caused dispatches found by id.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any, Dict, List, Tuple

import pytest

from test_replay import REPLAY_TIMEOUT_S, ReplayResult, golden, junit_verdict, open_ro, run_replay

MESSAGES_ROUTE = "POST /channels/{channel.id}/messages"
REACTION_ROUTE = "PUT /channels/{channel.id}/messages/{message.id}/reactions/{emoji}/@me"
FETCH_ROUTE = "GET /channels/{channel.id}/messages/{message.id}"


def recorded_answers(path: str) -> Dict[str, Tuple[str, str]]:
    """What discord.py got back when it was recorded: kind → (message id, content)."""
    db = open_ro(path)
    try:
        rows = db.execute("SELECT method, path, status, request, response FROM http ORDER BY id").fetchall()
    finally:
        db.close()
    answers: Dict[str, Tuple[str, str]] = {}
    for method, call_path, status, request, response in rows:
        body = json.loads(request or "{}").get("body") or {}
        answer = json.loads(response) if response else None
        if not isinstance(answer, dict) or "id" not in answer:
            continue
        if method == "POST" and call_path.endswith("/messages") and status == 200:
            kind = "limited" if body.get("content") == "after the limit" else "reply"
            answers[kind] = (answer["id"], answer["content"])
        elif method == "PATCH" and "/channels/" in call_path:
            answers["edit"] = (answer["id"], answer["content"])
        elif method == "POST" and "/webhooks/" in call_path:
            answers["followup"] = (answer["id"], answer["content"])
    return answers


def own_messages_after_posts(path: str) -> List[str]:
    """Problems in a replay's own recording: a MESSAGE_CREATE of the bot's own message sent before
    the POST that made it (or without one)."""
    db = open_ro(path)
    problems: List[str] = []
    try:
        posts = {}
        for t_ns, response in db.execute(
                "SELECT t_ns, response FROM http WHERE method = 'POST' AND path LIKE '%/messages' AND status = 200"):
            posts[json.loads(response)["id"]] = t_ns
        bot_id = None
        for t_ns, event, payload in db.execute(
                "SELECT t_ns, event, payload FROM frames WHERE direction = 'out' AND op = 0 ORDER BY id"):
            data = json.loads(payload)["d"]
            if event == "READY":
                bot_id = data["user"]["id"]
            elif event == "MESSAGE_CREATE" and data["author"]["id"] == bot_id and "interaction_metadata" not in data:
                posted = posts.get(data["id"])
                if posted is None:
                    problems.append(f"own message {data['id']} {data['content']!r} without a POST")
                elif posted > t_ns:
                    problems.append(f"own message {data['content']!r} sent {(posted - t_ns) / 1e6:.1f} ms before its POST")
    finally:
        db.close()
    return problems


def output(result: ReplayResult) -> str:
    return "\n".join(result.replay.stdout_lines) + "\n" + result.replay.stderr_tail(200)


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
@pytest.mark.parametrize("speed", [[], ["--speed", "4"], ["--max-speed"]], ids=["1x", "speed4", "max-speed"])
async def test_acting_bot_replays_from_the_recording(speed: List[str], gatewaytape_bin: str, tmp_path) -> None:
    """Every discord.py call returns the recorded objects, --verify exits 0, the bot's own
    MESSAGE_CREATE never arrives before its POST."""
    path = golden("acting")
    assert os.path.isfile(path), f"{path} missing: run Tools/recordings/record_golden.py --only acting"
    expected = recorded_answers(path)
    assert set(expected) == {"reply", "edit", "limited", "followup"}, expected
    junit, out = str(tmp_path / "out.xml"), str(tmp_path / "replayed.sqlite")
    result = await run_replay(gatewaytape_bin, path, "acting",
                              ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit, "--record", out, *speed])
    try:
        assert result.code == 0, result.explain()
        got = {e.args[0]: (str(e.args[1]), e.args[2]) for e in result.bot.log.matching("tape_result")}
        assert got == expected, f"discord.py got {got}, the recording {expected}\n{result.explain()}"
        answered = [e.args[0] for e in result.during("tape_answered")]
        assert answered == ["ping", "slow"], result.explain()
        assert result.count("raw_reaction_add") == 1, result.explain()
        problems = own_messages_after_posts(out)
        assert not problems, problems
        verdict = junit_verdict(junit)
        assert verdict["failures"] == 0 and verdict["errors"] == 0, verdict
    finally:
        result.replay.cleanup()


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
@pytest.mark.parametrize("variant,named", [
    ("other-text", [MESSAGES_ROUTE, "/content"]),
    ("no-reaction", [REACTION_ROUTE]),
    ("extra-call", [FETCH_ROUTE]),
], ids=["other-text", "no-reaction", "extra-call"])
async def test_a_changed_bot_fails_naming_the_call(variant: str, named: List[str], gatewaytape_bin: str, tmp_path) -> None:
    """Another reply text, a reaction skipped, an extra fetch: --verify exits 1 and names the call
    (and the field), in its output and in the JUnit failure."""
    junit = str(tmp_path / "out.xml")
    result = await run_replay(gatewaytape_bin, golden("acting"), "acting",
                              ["--verify", "--max-speed", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit], variant=variant)
    try:
        assert result.code == 1, f"--verify passed a bot with variant {variant}\n{result.explain()}"
        said = output(result)
        for name in named:
            assert name in said, f"{name!r} not named:\n{said}"
        xml = open(junit).read()
        assert junit_verdict(junit)["failures"] == 1 and named[0] in xml, xml[:3000]
        if variant == "no-reaction":
            # the MESSAGE_REACTION_ADD the recorded call brought is never sent
            assert result.count("raw_reaction_add") == 0, result.explain()
    finally:
        result.replay.cleanup()


def copy_without_new_columns(source: str, target: str) -> None:
    """The recording as another program writes it: SPEC §7's tables with their first columns only."""
    src = open_ro(source)
    db = sqlite3.connect(target)
    try:
        db.executescript("""
            CREATE TABLE sessions(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT, created_ns INTEGER);
            CREATE TABLE connections(id INTEGER PRIMARY KEY, session_id TEXT, gateway_session_id TEXT,
                shard_id INTEGER, shard_count INTEGER, opened_ns INTEGER, closed_ns INTEGER, close_code INTEGER,
                close_reason TEXT, closed_by TEXT, query TEXT);
            CREATE TABLE frames(id INTEGER PRIMARY KEY, connection_id INTEGER, session_id TEXT, t_ns INTEGER,
                direction TEXT, op INTEGER, seq INTEGER, event TEXT, payload TEXT, wire_bytes INTEGER);
            CREATE TABLE controls(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, action TEXT, args TEXT);
            CREATE TABLE http(id INTEGER PRIMARY KEY, session_id TEXT, t_ns INTEGER, method TEXT, path TEXT,
                status INTEGER, request TEXT, response TEXT);
        """)
        columns = {
            "sessions": "id, name, token_sha256, created_ns",
            "connections": "id, session_id, gateway_session_id, shard_id, shard_count, opened_ns, closed_ns, "
                           "close_code, close_reason, closed_by, query",
            "frames": "id, connection_id, session_id, t_ns, direction, op, seq, event, payload, wire_bytes",
            "controls": "id, session_id, t_ns, action, args",
            "http": "id, session_id, t_ns, method, path, status, request, response",
        }
        for table, names in columns.items():
            rows = src.execute(f"SELECT {names} FROM {table}").fetchall()
            marks = ", ".join("?" * len(names.split(",")))
            db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        db.commit()
    finally:
        db.close()
        src.close()


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_third_party_file_finds_rest_caused_dispatches_by_id(gatewaytape_bin: str, tmp_path) -> None:
    """A copy of acting.sqlite with SPEC §7's first columns only, written by sqlite3, at full speed:
    --verify exits 0 and the bot's own messages still come after its POSTs (found by id)."""
    path, out = str(tmp_path / "third-party.sqlite"), str(tmp_path / "replayed.sqlite")
    copy_without_new_columns(golden("acting"), path)
    result = await run_replay(gatewaytape_bin, path, "acting",
                              ["--verify", "--max-speed", "--timeout", str(REPLAY_TIMEOUT_S), "--record", out])
    try:
        assert result.code == 0, result.explain()
        got = {e.args[0]: (str(e.args[1]), e.args[2]) for e in result.bot.log.matching("tape_result")}
        assert got == recorded_answers(path), result.explain()
        problems = own_messages_after_posts(out)
        assert not problems, problems
    finally:
        result.replay.cleanup()
