"""`gatewaytape replay` (SPEC §1, §7, §8; issue 5) with discord.py 2.7.1 as the bot under test.

Each golden recording in recordings/ (made by Tools/recordings/record_golden.py with the
client configuration in golden.py) is replayed with `--verify` to an identically configured
discord.py client. The bot must live through the recorded scenario (its own events: on_ready,
on_message with the recorded contents, on_resumed, a second on_ready), replay must exit 0 and
its JUnit XML must show no failure. A differently configured bot (other intents) must make
`--verify` exit 1 naming the divergence. Plus --speed, --max-speed, --record OUT, a two-shard
session recorded and replayed shard by shard, and a recording written by a plain sqlite3 script
with only SPEC §7's tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest

from golden import GOLDEN_INTENTS, SCENARIOS, client_options, golden_bot, golden_intents, member_traffic
from harness import Bot, GatewayTape, message_create, new_snowflake, shard_of

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RECORDINGS = os.path.join(ROOT, "recordings")
# The recording holds only a hash of the original token: any token works (SPEC §8).
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAwMQ.Greply.any-token-will-do-for-a-replay-run"
REPLAY_TIMEOUT_S = 60


def golden(name: str) -> str:
    return os.path.join(RECORDINGS, name + ".sqlite")


# --------------------------------------------------------------------------- the recording's side


def open_ro(path: str) -> sqlite3.Connection:
    # immutable=1: a read-only open of a WAL-mode file would otherwise leave -wal/-shm next to it
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


@dataclass
class RecordedRun:
    """What the recorded bot saw, read straight from the SPEC §7 tables."""

    messages: List[str]          # MESSAGE_CREATE contents, first delivery of each message id, in order
    readies: int                 # READY dispatches (1 + re-IDENTIFYs)
    resumes: int                 # RESUMED dispatches
    message_span_s: float        # first to last MESSAGE_CREATE
    rest_posts: int              # POST /channels/{id}/messages calls the bot made
    duration_s: float            # HELLO of the first connection to the end of the session


def recorded_run(path: str) -> RecordedRun:
    db = open_ro(path)
    try:
        seen, messages, times = set(), [], []
        readies = resumes = 0
        for t_ns, event, payload in db.execute(
                "SELECT t_ns, event, payload FROM frames WHERE direction = 'out' AND op = 0 ORDER BY id"):
            if event == "READY":
                readies += 1
            elif event == "RESUMED":
                resumes += 1
            elif event == "MESSAGE_CREATE":
                data = json.loads(payload)["d"]
                if data["id"] not in seen:
                    seen.add(data["id"])
                    messages.append(data["content"])
                    times.append(t_ns)
        posts = db.execute("SELECT count(*) FROM http WHERE method = 'POST' AND path LIKE '%/messages'").fetchone()[0]
        first = db.execute("SELECT min(t_ns) FROM frames").fetchone()[0] or 0
        last = max(db.execute("SELECT max(t_ns) FROM frames").fetchone()[0] or 0,
                   db.execute("SELECT max(closed_ns) FROM connections").fetchone()[0] or 0)
    finally:
        db.close()
    span = (times[-1] - times[0]) / 1e9 if len(times) > 1 else 0.0
    return RecordedRun(messages, readies, resumes, span, posts, (last - first) / 1e9)


def file_digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@contextlib.asynccontextmanager
async def recording_server(binary: str, path: str) -> AsyncIterator[GatewayTape]:
    """`gatewaytape serve --record PATH` (HELLO interval 1 s) for the block, then SIGTERM: exit 0."""
    server = GatewayTape(binary, heartbeat_interval=1000, extra_args=["--record", path])
    try:
        yield server
    finally:
        code = server.stop()
        tail = server.stderr_tail()
        server.cleanup()
    assert code == 0, f"serve --record exited {code}\n{tail}"


# --------------------------------------------------------------------------- the replay process


class Replay(GatewayTape):
    """A running `gatewaytape replay FILE --port 0 ...` (prints the same listening line as serve)."""

    def __init__(self, binary: str, recording: str, args: List[str]):
        self._replay_args = [binary, "replay", recording, "--port", "0", *args]
        super().__init__(binary)

    def _spawn(self):  # type: ignore[override]
        self.args = self._replay_args
        return super()._spawn()

    async def wait_exit(self, timeout: float) -> Optional[int]:
        """The exit status, or None if it is still running after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.05)
        self._drain.join(timeout=2)
        return self.proc.returncode

    def output(self) -> str:
        return "stdout:\n" + "\n".join(self.stdout_lines) + "\nstderr:\n" + self.stderr_tail(80)


@dataclass
class ReplayResult:
    code: Optional[int]
    bot: Bot
    replay: Replay
    elapsed_s: float

    @property
    def end_at(self) -> float:
        """When the replay said goodbye (its close 1001 as discord.py saw it): what the bot does
        after that (reconnecting, resuming while the process exits) is no longer the replay."""
        ends = [e.at for e in self.bot.log.matching("tape_closed") if e.args[1] == 1001]
        return ends[0] if ends else float("inf")

    def during(self, name: str) -> List[Any]:
        """discord.py's `name` events up to the end of the replay."""
        end = self.end_at
        return [e for e in self.bot.log.matching(name) if e.at <= end]

    def count(self, name: str) -> int:
        return len(self.during(name))

    @property
    def messages(self) -> List[str]:
        return [e.args[0].content for e in self.during("message")]

    @property
    def received_messages(self) -> List[str]:
        """MESSAGE_CREATE contents as they arrived (first delivery of each id): discord.py's Message
        objects change afterwards when the message is edited."""
        seen, contents = set(), []
        for payload in self.bot.log.received_payloads():
            if payload.get("t") == "MESSAGE_CREATE" and payload["d"]["id"] not in seen:
                seen.add(payload["d"]["id"])
                contents.append(payload["d"]["content"])
        return contents

    def message_span_s(self) -> float:
        times = [e.at for e in self.during("message")]
        return times[-1] - times[0] if len(times) > 1 else 0.0

    def explain(self) -> str:
        noisy = {"socket_raw_send", "socket_raw_receive", "socket_event_type", "tape_frame", "tape_receive"}
        events = [e.name + (f"({e.args[1]})" if e.name == "tape_closed" else "")
                  for e in self.bot.log.events if e.name not in noisy]
        received = [p.get("t") or f"op{p.get('op')}" for p in self.bot.log.received_payloads()]
        sent = [p.get("op") for p in self.bot.log.sent_payloads()]
        return (f"replay {' '.join(self.replay.args[1:])} exited with {self.code} after {self.elapsed_s:.1f}s\n"
                f"discord.py events: {', '.join(events[:80])}\n"
                f"received: {', '.join(received[:80])}{' ...' if len(received) > 80 else ''}\n"
                f"sent ops: {sent[:80]}\n{self.replay.output()}")


async def run_replay(binary: str, recording: str, scenario: str, args: List[str], *,
                     wait_s: float = REPLAY_TIMEOUT_S + 15, **bot_overrides: Any) -> ReplayResult:
    """Starts the replay, points a golden-configured discord.py at it, waits until replay exits,
    then closes the bot."""
    replay = Replay(binary, recording, args)
    try:
        bot = golden_bot(replay, TOKEN, scenario, **bot_overrides)
        started = time.monotonic()
        async with bot:
            code = await replay.wait_exit(wait_s)
            elapsed = time.monotonic() - started
        if code is None:
            replay.kill()
        return ReplayResult(code, bot, replay, elapsed)
    except BaseException:
        replay.cleanup()
        raise
    finally:
        replay.kill()


def junit_verdict(path: str) -> Dict[str, int]:
    """Totals of a JUnit XML file (<testsuites> or a single <testsuite>)."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    assert suites, f"{path}: no <testsuite> in {ET.tostring(root)[:300]!r}"
    cases = [c for s in suites for c in s.findall("testcase")]
    return {
        "tests": len(cases),
        "failures": sum(int(s.get("failures", 0)) for s in suites),
        "errors": sum(int(s.get("errors", 0)) for s in suites),
        "failure_elements": sum(len(c.findall("failure")) + len(c.findall("error")) for c in cases),
    }


def dispatch_order_problems(result: ReplayResult) -> List[str]:
    """SPEC §3/§8 as discord.py saw it: nothing before READY, each READY followed by the GUILD_CREATEs
    of its guilds before any other dispatch, sequence numbers increasing within a gateway session."""
    problems: List[str] = []
    end = result.end_at
    dispatches = []
    for e in result.bot.log.matching("socket_raw_receive"):
        if e.at > end:
            break
        raw = e.args[0]
        payload = json.loads(raw if isinstance(raw, str) else bytes(raw).decode())
        if payload.get("op") == 0:
            dispatches.append(payload)
    owed, last_seq, ready_seen = 0, 0, False
    for n, p in enumerate(dispatches):
        t, seq = p.get("t"), p.get("s")
        if t == "READY":
            ready_seen, last_seq = True, 0
            owed = len(p["d"].get("guilds", []))
        elif not ready_seen:
            problems.append(f"#{n} {t} (s={seq}) before READY")
        elif owed and t != "GUILD_CREATE":
            problems.append(f"#{n} {t} (s={seq}) between READY and its GUILD_CREATEs ({owed} still owed)")
        elif t == "GUILD_CREATE" and owed:
            owed -= 1
        if isinstance(seq, int):
            if seq <= last_seq:
                problems.append(f"#{n} {t}: s={seq} after s={last_seq}")
            last_seq = seq
    return problems


def assert_lived_through(result: ReplayResult, expected: RecordedRun, scenario: str) -> None:
    why = result.explain()
    problems = dispatch_order_problems(result)
    assert not problems, f"dispatch order as discord.py received it: {problems}\n{why}"
    assert expected.messages, f"the recording holds no message: {expected}"
    # the acting bot edits messages after on_message saw them: compare what arrived
    live = result.received_messages if scenario == "acting" else result.messages
    assert live == expected.messages, f"on_message contents {live}, recorded {expected.messages}\n{why}"
    assert result.count("ready") == expected.readies, (
        f"on_ready {result.count('ready')}x, recorded READY {expected.readies}x\n{why}")
    assert result.count("resumed") == expected.resumes, (
        f"on_resumed {result.count('resumed')}x, recorded RESUMED {expected.resumes}x\n{why}")
    if scenario == "plain":
        # one reply per message; at full speed the bot's handlers call at once and their answers
        # come back in any order
        replied = [e.args[0] for e in result.during("tape_replied")]
        assert sorted(replied) == sorted(expected.messages) and expected.rest_posts == len(replied), (replied, expected)


def member_chunk_problems(result: ReplayResult) -> List[str]:
    """Issue 16 as discord.py saw it: every GUILD_MEMBERS_CHUNK it received during the replay carries
    the nonce of one of its own op 8 requests and names the guild that request named, and each
    request got its chunks."""
    end = result.end_at
    requests = {p["d"].get("nonce"): str(p["d"]["guild_id"]) for p in result.bot.log.sent_payloads() if p.get("op") == 8}
    if not requests:
        return ["discord.py sent no op 8 (the members intent makes it chunk every guild at startup)"]
    problems, answered = [], set()
    for e in result.bot.log.matching("tape_receive"):
        payload = json.loads(e.args[1])
        if e.at > end or payload.get("t") != "GUILD_MEMBERS_CHUNK":
            continue
        nonce, guild = payload["d"].get("nonce"), str(payload["d"].get("guild_id"))
        if nonce not in requests:
            problems.append(f"a chunk for guild {guild} carries nonce {nonce!r}, not one of the bot's own {sorted(requests)}")
        elif requests[nonce] != guild:
            problems.append(f"the chunk for nonce {nonce!r} names guild {guild}, the request named {requests[nonce]}")
        else:
            answered.add(nonce)
    problems += [f"the request for guild {requests[n]} (nonce {n!r}) got no chunk" for n in requests if n not in answered]
    return problems


def ready_after_ready_s(result: ReplayResult) -> float:
    """From the READY frame discord.py received to its on_ready."""
    ready_frames = [e.at for e in result.bot.log.matching("tape_receive") if json.loads(e.args[1]).get("t") == "READY"]
    on_ready = [e.at for e in result.bot.log.matching("ready")]
    assert ready_frames and on_ready, result.explain()
    return on_ready[0] - ready_frames[0]


def assert_members_replayed(result: ReplayResult) -> None:
    problems = member_chunk_problems(result)
    assert not problems, f"{problems}\n{result.explain()}"
    delay = ready_after_ready_s(result)
    assert delay <= 1.0, f"on_ready {delay:.2f}s after READY (waited for discord.py's chunk timeout?)\n{result.explain()}"
    for guild in result.bot.client.guilds:
        assert guild.chunked and len(guild.members) == guild.member_count, (
            f"{guild.name}: {len(guild.members)} members cached, member_count {guild.member_count}")


# --------------------------------------------------------------------------- golden recordings with --verify


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_golden_replay_verifies(scenario: str, gatewaytape_bin: str, tmp_path) -> None:
    """Each golden recording, replayed with --verify to the same discord.py configuration: the bot
    gets through the scenario, replay exits 0, JUnit shows no failure."""
    path = golden(scenario)
    assert os.path.isfile(path), f"{path} missing: run Tools/recordings/record_golden.py"
    expected = recorded_run(path)
    digest = file_digest(path)
    junit = str(tmp_path / "out.xml")
    result = await run_replay(gatewaytape_bin, path, scenario,
                              ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit])
    try:
        assert result.code == 0, result.explain()
        assert_lived_through(result, expected, scenario)
        if scenario == "invalidate":
            sent = [p.get("op") for p in result.bot.log.sent_payloads()]
            resume_at = sent.index(6) if 6 in sent else -1
            assert resume_at > 0 and 2 in sent[resume_at + 1:], f"RESUME then IDENTIFY expected, ops sent: {sent}"
            assert [p.get("d") for p in result.bot.log.received_payloads() if p.get("op") == 9] == [False]
        if scenario == "zombie":
            assert result.count("disconnect") >= 1, result.explain()
        if scenario == "members":
            assert member_traffic(path)[:4] == ["request", "request", "chunk", "chunk"], member_traffic(path)
            assert_members_replayed(result)
        # at 1x the run lasts about as long as the recording (never much shorter)
        assert result.elapsed_s >= 0.8 * expected.duration_s, (
            f"replay took {result.elapsed_s:.1f}s, the recording {expected.duration_s:.1f}s\n{result.explain()}")
        assert abs(result.message_span_s() - expected.message_span_s) <= max(1.0, 0.3 * expected.message_span_s), (
            f"messages spread over {result.message_span_s():.2f}s, recorded {expected.message_span_s:.2f}s")
        verdict = junit_verdict(junit)
        assert verdict["tests"] >= 1 and verdict["failures"] == 0 and verdict["errors"] == 0 \
            and verdict["failure_elements"] == 0, f"JUnit {verdict}:\n{open(junit).read()[:2000]}"
        assert file_digest(path) == digest, "replay modified its input recording"
        for suffix in ("-wal", "-shm"):
            assert not os.path.exists(path + suffix), (
                f"replay left {os.path.basename(path)}{suffix} next to the input (SPEC §7: readers open it read-only)")
    finally:
        result.replay.cleanup()


# --------------------------------------------------------------------------- --verify must fail


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_verify_fails_for_other_intents(gatewaytape_bin: str, tmp_path) -> None:
    """plain.sqlite replayed to a discord.py without the message_content intent: --verify exits 1
    and names the divergence (IDENTIFY intents)."""
    path = golden("plain")
    junit = str(tmp_path / "out.xml")
    other = golden_intents(message_content=False)
    assert other.value != GOLDEN_INTENTS
    result = await run_replay(gatewaytape_bin, path, "plain",
                              ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit], intents=other)
    try:
        assert result.code == 1, f"--verify must exit 1 for a bot with other intents\n{result.explain()}"
        out = "\n".join(result.replay.stdout_lines) + "\n" + result.replay.stderr_tail(200)
        low = out.lower()
        assert "identify" in low and "intents" in low, f"the divergence (IDENTIFY intents) is not named:\n{out}"
        assert str(GOLDEN_INTENTS) in out and str(other.value) in out, (
            f"recorded intents {GOLDEN_INTENTS} and live intents {other.value} should both be shown:\n{out}")
        verdict = junit_verdict(junit)
        assert verdict["failures"] + verdict["errors"] >= 1 and verdict["failure_elements"] >= 1, verdict
        # the bot still got the world: the replay itself ran
        assert result.count("ready") == 1, result.explain()
    finally:
        result.replay.cleanup()


# --------------------------------------------------------------------------- --timeout


@pytest.mark.timeout_s(30)
async def test_timeout_without_bot(gatewaytape_bin: str, tmp_path) -> None:
    """No bot ever connects: --timeout ends the run with exit 1 and a one-line reason, and the
    JUnit verdict is a failure (issue 5 item 4)."""
    junit = str(tmp_path / "out.xml")
    replay = Replay(gatewaytape_bin, golden("plain"), ["--verify", "--timeout", "2", "--junit", junit])
    try:
        started = time.monotonic()
        code = await replay.wait_exit(15)
        elapsed = time.monotonic() - started
        said = (replay.stderr_tail(20) + "\n" + "\n".join(replay.stdout_lines[1:])).strip()
        assert code == 1, f"exit {code} after {elapsed:.1f}s, expected 1 at --timeout 2\n{replay.output()}"
        assert 1.5 <= elapsed <= 8, f"--timeout 2 ended the run after {elapsed:.1f}s"
        assert said and "timeout" in said.lower(), f"no reason given for the timeout:\n{replay.output()}"
        verdict = junit_verdict(junit)
        assert verdict["failures"] + verdict["errors"] >= 1, verdict
    finally:
        replay.cleanup()


# --------------------------------------------------------------------------- speed


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
@pytest.mark.parametrize("scenario,speed", [("plain", ["--speed", "4"]), ("resume", ["--speed", "4"]),
                                            ("plain", ["--max-speed"])], ids=["plain-speed4", "resume-speed4", "plain-max-speed"])
async def test_scaled_replay(scenario: str, speed: List[str], gatewaytape_bin: str, tmp_path) -> None:
    """--speed 4 and --max-speed: the same events, sooner, and --verify still passes."""
    path = golden(scenario)
    expected = recorded_run(path)
    junit = str(tmp_path / "out.xml")
    result = await run_replay(gatewaytape_bin, path, scenario,
                              ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit, *speed])
    try:
        assert result.code == 0, result.explain()
        assert_lived_through(result, expected, scenario)
        span, recorded = result.message_span_s(), expected.message_span_s
        if speed[0] == "--speed":
            # 4x: messages ~recorded/4 apart (0.3 s → 75 ms); generous bounds for a loaded machine
            assert span <= recorded / 2, f"messages spread over {span:.2f}s at 4x, recorded {recorded:.2f}s"
            assert result.elapsed_s <= expected.duration_s * 0.75 + 1.0, (
                f"4x replay took {result.elapsed_s:.1f}s, the recording lasts {expected.duration_s:.1f}s")
        else:
            assert span <= min(recorded / 4, 0.5), f"messages spread over {span:.2f}s at max speed, recorded {recorded:.2f}s"
        verdict = junit_verdict(junit)
        assert verdict["failures"] == 0 and verdict["errors"] == 0 and verdict["failure_elements"] == 0, verdict
    finally:
        result.replay.cleanup()


# --------------------------------------------------------------------------- --record OUT


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_record_the_replay(gatewaytape_bin: str, tmp_path) -> None:
    """--record OUT: the replay itself is a recording (meta.mode = replay, meta.source = input)."""
    path = golden("plain")
    expected = recorded_run(path)
    out = str(tmp_path / "replayed.sqlite")
    result = await run_replay(gatewaytape_bin, path, "plain",
                              ["--max-speed", "--timeout", str(REPLAY_TIMEOUT_S), "--record", out])
    try:
        assert result.code == 0, result.explain()
        assert result.messages == expected.messages, result.explain()
        assert os.path.isfile(out), f"--record {out} wrote nothing\n{result.explain()}"
        for suffix in ("-wal", "-shm"):
            assert not os.path.exists(out + suffix), f"{out}{suffix} left: the replay's recording was not closed cleanly"
        db = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
        try:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 1
            meta = dict(db.execute("SELECT key, value FROM meta"))
            assert meta.get("mode") == "replay", meta
            assert meta.get("source") in (path, os.path.realpath(path)), f"meta.source {meta.get('source')!r}, input {path}"
            replayed = recorded_run(out)
            assert replayed.messages == expected.messages, replayed
            assert replayed.readies == 1, replayed
            idents = db.execute("SELECT count(*) FROM frames WHERE direction = 'in' AND op = 2").fetchone()[0]
            assert idents == 1, f"{idents} IDENTIFY frames in the replay's recording"
            posts = db.execute("SELECT count(*) FROM http WHERE method = 'POST' AND path LIKE '%/messages'").fetchone()[0]
            assert posts == len(expected.messages), f"{posts} REST replies recorded, the bot sent {len(expected.messages)}"
            assert TOKEN not in json.dumps(db.execute("SELECT payload FROM frames").fetchall()), "token not redacted"
        finally:
            db.close()
    finally:
        result.replay.cleanup()


# --------------------------------------------------------------------------- two shards


def shards_of_messages(bot: Bot, end: float = float("inf")) -> Dict[str, List[int]]:
    """MESSAGE_CREATE content -> the shards whose connection received it (as discord.py saw it)."""
    seen: Dict[str, List[int]] = {}
    for e in bot.log.matching("tape_receive"):
        if e.at > end or '"MESSAGE_CREATE"' not in e.args[1]:
            continue
        payload = json.loads(e.args[1])
        if payload.get("t") == "MESSAGE_CREATE":
            seen.setdefault(payload["d"]["content"], []).append(e.args[0])
    return seen


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 60)
async def test_sharded_session_replays_by_shard(gatewaytape_bin: str, tmp_path) -> None:
    """A discord.py AutoShardedClient (2 shards) recorded with `serve --record`, messages in a guild
    of each shard; replayed with --verify to a fresh 2-shard bot: exit 0, and every message reaches
    the shard that owns its guild, in the recorded order (issue 5 item 3: shards map by shard id)."""
    path = str(tmp_path / "sharded.sqlite")
    options: Dict[str, Any] = {"intents": golden_intents(), "sharded": True, "shard_count": 2}
    sent: List[tuple] = []
    async with recording_server(gatewaytape_bin, path) as server:
        created = await server.control.acreate_session(name="sharded")
        async with Bot(server, created["token"], **options) as bot:
            await bot.ready(timeout=20)
            await bot.wait_for("shard_ready", count=2)
            guilds = sorted(bot.client.guilds, key=lambda g: g.id)
            assert sorted({g.shard_id for g in guilds}) == [0, 1], [(g.id, g.shard_id) for g in guilds]
            await asyncio.sleep(0.3)
            for round_ in (1, 2):
                for guild in guilds:
                    content = f"round {round_} in guild {guild.id}"
                    channel = min(guild.text_channels, key=lambda c: c.id)
                    data = message_create(str(channel.id), str(guild.id), content, message_id=new_snowflake())
                    answer = await server.control.adispatch(created["id"], "MESSAGE_CREATE", data, guild_id=str(guild.id))
                    assert answer.get("delivered") == 1, answer
                    await bot.wait_for("message", predicate=lambda m, c=content: m.content == c)
                    sent.append((content, shard_of(guild.id, 2)))
                    await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
    expected = recorded_run(path)
    assert expected.messages == [content for content, _ in sent], expected
    assert expected.readies == 2, f"two shards, two READYs recorded: {expected}"

    result = await run_replay(gatewaytape_bin, path, "plain", ["--verify", "--timeout", str(REPLAY_TIMEOUT_S)], **options)
    try:
        assert result.code == 0, result.explain()
        assert result.messages == expected.messages, result.explain()
        assert result.count("shard_ready") == 2, result.explain()
        reached = shards_of_messages(result.bot, result.end_at)
        assert reached == {content: [shard] for content, shard in sent}, (
            f"messages reached shards {reached}, the owning shards are {dict(sent)}\n{result.explain()}")
        # sequence numbers are each shard's own gateway session's, increasing on each connection
        seqs: Dict[int, List[int]] = {0: [], 1: []}
        for e in result.bot.log.matching("tape_receive"):
            payload = json.loads(e.args[1])
            if e.at <= result.end_at and payload.get("op") == 0:
                seqs[e.args[0]].append(payload["s"])
        for shard, numbers in seqs.items():
            assert numbers and numbers == sorted(set(numbers)) and numbers[0] == 1, f"shard {shard}: s = {numbers}"
    finally:
        result.replay.cleanup()

    # The same recording to a bot that runs one shard: the timeline waits for shard 1, and at
    # --timeout the run fails saying which shard never identified and what to do.
    single = await run_replay(gatewaytape_bin, path, "plain", ["--timeout", "6"], wait_s=30, intents=golden_intents())
    try:
        said = "\n".join(single.replay.stdout_lines) + "\n" + single.replay.stderr_tail(40)
        assert single.code == 1, f"exit {single.code}\n{single.explain()}"
        assert "shard 1" in said and "shard count" in said, f"the reason does not name shard 1:\n{said}"
    finally:
        single.replay.cleanup()


# --------------------------------------------------------------------------- a recording from another program


BOT_ID = "1000000000000000321"
GUILD_ID = str(1234 << 22)
CHANNEL_ID = "1300000000000000777"
AUTHOR_ID = "1300000000000000888"
CRAFTED_MESSAGES = ["hello from a hand-written recording", "second message"]


def _frame(op: int, d: Any, s: Optional[int] = None, t: Optional[str] = None) -> str:
    return json.dumps({"op": op, "d": d, "s": s, "t": t}, separators=(",", ":"))


def _crafted_guild() -> Dict[str, Any]:
    user = {"id": BOT_ID, "username": "craftedbot", "discriminator": "0", "global_name": None, "avatar": None,
            "bot": True, "public_flags": 0}
    return {
        "id": GUILD_ID, "name": "Crafted Guild", "icon": None, "splash": None, "discovery_splash": None,
        "owner_id": AUTHOR_ID, "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
        "application_id": None, "system_channel_id": CHANNEL_ID, "system_channel_flags": 0,
        "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
        "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": None, "nsfw_level": 0, "large": False, "unavailable": False,
        "member_count": 2, "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "roles": [{"id": GUILD_ID, "name": "@everyone", "color": 0, "hoist": False, "icon": None,
                   "unicode_emoji": None, "position": 0, "permissions": "1071698660929", "managed": False,
                   "mentionable": False, "flags": 0}],
        "emojis": [], "stickers": [], "voice_states": [], "presences": [], "threads": [],
        "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        "channels": [{"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "crafted", "position": 0,
                      "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                      "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}],
        "members": [
            {"user": user, "nick": None, "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
             "deaf": False, "mute": False, "flags": 0, "pending": False},
            {"user": {"id": AUTHOR_ID, "username": "carol", "discriminator": "0", "global_name": None,
                      "avatar": None, "bot": False, "public_flags": 0},
             "nick": None, "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00",
             "deaf": False, "mute": False, "flags": 0, "pending": False},
        ],
    }


def _crafted_message(content: str, message_id: str) -> Dict[str, Any]:
    return {
        "id": message_id, "channel_id": CHANNEL_ID, "guild_id": GUILD_ID, "content": content,
        "author": {"id": AUTHOR_ID, "username": "carol", "discriminator": "0", "global_name": None,
                   "avatar": None, "bot": False, "public_flags": 0},
        "member": {"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": False, "mute": False,
                   "flags": 0},
        "timestamp": "2024-01-01T00:00:01.000000+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": False, "type": 0, "flags": 0, "components": [], "channel_type": 0,
    }


def write_crafted_recording(path: str) -> None:
    """Only SPEC §7's tables and columns, no meta rows, user_version 0: what another program writes."""
    ms = 1_000_000
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
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
    sid = "crafted-session"
    db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (sid, "crafted", None, 0))
    db.execute("INSERT INTO connections (id, session_id, gateway_session_id, shard_id, shard_count, opened_ns, "
               "closed_ns, close_code, close_reason, closed_by, query) VALUES (1, ?, ?, NULL, NULL, ?, ?, 1000, NULL, "
               "'client', 'v=10&encoding=json')", (sid, "0123456789abcdef0123456789abcdef", 1 * ms, 1800 * ms))
    ready = {
        "v": 10, "user": {"id": BOT_ID, "username": "craftedbot", "discriminator": "0", "global_name": None,
                          "avatar": None, "bot": True, "verified": True, "mfa_enabled": False, "flags": 0,
                          "public_flags": 0},
        "guilds": [{"id": GUILD_ID, "unavailable": True}],
        "session_id": "0123456789abcdef0123456789abcdef",
        "resume_gateway_url": "ws://127.0.0.1:1",
        "application": {"id": BOT_ID, "flags": 0},
        "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
    }
    rows = [
        (2 * ms, "out", 10, None, None, _frame(10, {"heartbeat_interval": 1000})),
        (10 * ms, "out", 0, 1, "READY", _frame(0, ready, 1, "READY")),
        (11 * ms, "out", 0, 2, "GUILD_CREATE", _frame(0, _crafted_guild(), 2, "GUILD_CREATE")),
        (600 * ms, "out", 0, 3, "MESSAGE_CREATE",
         _frame(0, _crafted_message(CRAFTED_MESSAGES[0], str((1 << 42) + 1)), 3, "MESSAGE_CREATE")),
        (1000 * ms, "out", 0, 4, "MESSAGE_CREATE",
         _frame(0, _crafted_message(CRAFTED_MESSAGES[1], str((1 << 42) + 2)), 4, "MESSAGE_CREATE")),
    ]
    for t_ns, direction, op, seq, event, payload in rows:
        db.execute("INSERT INTO frames (connection_id, session_id, t_ns, direction, op, seq, event, payload, wire_bytes) "
                   "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)", (sid, t_ns, direction, op, seq, event, payload, len(payload)))
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_replay_recording_written_by_sqlite3(gatewaytape_bin: str, tmp_path) -> None:
    """SPEC §7: a file with only the documented tables, written by another program (no meta rows,
    user_version 0), replays to discord.py: the recorded world and the recorded messages arrive."""
    path = str(tmp_path / "crafted.sqlite")
    write_crafted_recording(path)
    # the golden client settings (no scenario behaviour); no --verify: this file holds no bot frames
    result = await run_replay(gatewaytape_bin, path, "resume", ["--timeout", str(REPLAY_TIMEOUT_S)])
    try:
        assert result.code == 0, result.explain()
        assert result.count("ready") == 1, result.explain()
        client = result.bot.client
        assert client.user is not None and str(client.user.id) == BOT_ID and client.user.name == "craftedbot"
        assert [str(g.id) for g in client.guilds] == [GUILD_ID], [g.id for g in client.guilds]
        assert client.guilds[0].name == "Crafted Guild"
        assert result.messages == CRAFTED_MESSAGES, result.explain()
        msgs = [e.args[0] for e in result.during("message")]
        assert all(str(m.channel.id) == CHANNEL_ID and m.author.name == "carol" for m in msgs), msgs
        gap = result.message_span_s()
        assert 0.2 <= gap <= 1.4, f"the two messages arrived {gap:.2f}s apart, recorded 0.4 s"
    finally:
        result.replay.cleanup()


# --------------------------------------------------------------------------- member chunks (issue 16)


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 60)
async def test_members_intent_recorded_and_replayed(gatewaytape_bin: str, tmp_path) -> None:
    """discord.py with the members intent chunks both guilds at startup (two op 8 back to back):
    recorded with `serve --record`, then replayed with --verify to the same bot: exit 0, every chunk
    carries one of the live bot's own nonces and the guild its request named (never a recorded
    nonce, never another guild's members), and on_ready comes within 1 s of READY."""
    path = str(tmp_path / "members.sqlite")
    async with recording_server(gatewaytape_bin, path) as server:
        created = await server.control.acreate_session(name="members")
        async with Bot(server, created["token"], **client_options("members")) as bot:
            await bot.ready(timeout=20)
            guilds = sorted(bot.client.guilds, key=lambda g: g.id)
            assert len(guilds) == 2 and all(g.chunked for g in guilds), [(g.name, len(g.members)) for g in guilds]
            await asyncio.sleep(0.3)
            channel = min(guilds[0].text_channels, key=lambda c: c.id)
            data = message_create(str(channel.id), str(guilds[0].id), "after chunking", message_id=new_snowflake())
            assert (await server.control.adispatch(created["id"], "MESSAGE_CREATE", data))["delivered"] == 1
            await bot.wait_for("message", predicate=lambda m: m.content == "after chunking")
            await asyncio.sleep(0.5)
    recorded = member_traffic(path)
    assert recorded.count("request") == 2 and recorded.count("chunk") >= 2, recorded

    result = await run_replay(gatewaytape_bin, path, "members", ["--verify", "--timeout", str(REPLAY_TIMEOUT_S)])
    try:
        assert result.code == 0, result.explain()
        assert result.messages == ["after chunking"], result.explain()
        assert_members_replayed(result)
    finally:
        result.replay.cleanup()
