"""SPEC §5 as a test suite in another language sees it: status codes, shapes and errors of the
control API, with discord.py observing the effects on the gateway side."""

from __future__ import annotations

import base64
import json

import pytest

from harness import Bot, Control, GatewayTape
from test_discordpy import closed_codes, custom_fixture, new_session


def _b64_id(token: str) -> str:
    head = token.split(".")[0]
    return base64.b64decode(head + "=" * (-len(head) % 4)).decode()


async def test_create_and_show_sessions(server: GatewayTape) -> None:
    ctl = server.control
    status, created = await ctl.arequest("POST", "/api/control/sessions", {"name": "plain"})
    assert status == 201 and set(created) >= {"id", "token"}, (status, created)
    assert _b64_id(created["token"]) == "1000000000000000001", "token head must be base64(bot user id)"

    fixture, _ = custom_fixture("1000000000000000101", "shown")
    custom = await ctl.acreate_session(name="custom", fixture=fixture)
    assert _b64_id(custom["token"]) == "1000000000000000101"

    given = await ctl.acreate_session(name="given", token="my.own.token-for-this-session-000000")
    assert given["token"] == "my.own.token-for-this-session-000000"

    listed = {s["id"]: s for s in await ctl.asessions()}
    assert {created["id"], custom["id"], given["id"]} <= set(listed)
    assert listed[custom["id"]]["name"] == "custom" and listed[custom["id"]]["connections"] in (0, [])

    shown = await ctl.asession(custom["id"])
    assert shown["id"] == custom["id"] and shown["name"] == "custom" and shown["connections"] == [], shown
    assert "flags" in shown

    async with Bot(server, custom["token"]) as bot:
        await bot.ready()
        conn = (await ctl.asession(custom["id"]))["connections"][0]
        for key in ("gateway_session_id", "shard", "seq", "intents", "identified", "open", "query", "compress"):
            assert key in conn, f"connection view lacks {key!r}: {conn}"
        assert conn["intents"] == bot.client.intents.value
        assert conn["seq"] == bot.client.ws.sequence
        listed = {s["id"]: s for s in await ctl.asessions()}
        count = listed[custom["id"]]["connections"]
        assert count == 1 or (isinstance(count, list) and len(count) == 1), listed[custom["id"]]


async def test_errors(server: GatewayTape) -> None:
    ctl = server.control
    sid, _ = await new_session(server, "errors")
    for method, path, body in [
        ("GET", "/api/control/sessions/nope", None),
        ("DELETE", "/api/control/sessions/nope", None),
        ("POST", "/api/control/sessions/nope/dispatch", {"event": "X", "data": {}}),
        ("POST", "/api/control/sessions/nope/disconnect", {"code": 4000}),
        ("POST", "/api/control/sessions/nope/invalidate", {}),
        ("POST", "/api/control/sessions/nope/heartbeat/stop-acks", {}),
        ("GET", "/api/control/sessions/nope/flags", None),
        ("POST", "/api/control/sessions/nope/reconnect", {}),
        ("POST", "/api/control/sessions/nope/drop", {}),
    ]:
        status, payload = await ctl.arequest(method, path, body, expect=())
        assert status == 404 and isinstance(payload, dict) and payload.get("error"), (method, path, status, payload)

    for path, body, field in [
        (f"/api/control/sessions/{sid}/dispatch", {"data": {}}, "event"),
        (f"/api/control/sessions/{sid}/dispatch", {"event": 5, "data": {}}, "event"),
        (f"/api/control/sessions/{sid}/disconnect", {"code": "soon"}, "code"),
        (f"/api/control/sessions/{sid}/disconnect", {}, "code"),
    ]:
        status, payload = await ctl.arequest("POST", path, body, expect=())
        assert status == 400 and field in str(payload.get("error", "")), (path, body, status, payload)
    status, payload = await ctl.arequest("PUT", "/api/control/heartbeat-interval", {"interval": "fast"}, expect=())
    assert status == 400 and "interval" in str(payload.get("error", "")), (status, payload)

    status, payload = await ctl.arequest("GET", f"/api/control/sessions/{sid}/flags", expect=())
    assert status == 404, (status, payload)


@pytest.mark.server(args=["--control-token", "s3cret"])
async def test_control_token(server: GatewayTape) -> None:
    anonymous = Control(server.base)
    status, payload = await anonymous.arequest("GET", "/api/control/sessions", expect=())
    assert status == 401, (status, payload)
    wrong = Control(server.base, token="nope")
    status, _ = await wrong.arequest("GET", "/api/control/connections", expect=())
    assert status == 401
    right = Control(server.base, token="s3cret")
    assert await right.asessions() == []
    server.control = right  # for new_session
    sid, token = await new_session(server, "with-token")
    async with Bot(server, token) as bot:  # the gateway and REST need no control token
        await bot.ready()


async def test_heartbeat_interval_applies_to_new_connections(server: GatewayTape) -> None:
    ctl = server.control
    assert (await ctl.aheartbeat_interval())["interval"] == 41250
    await ctl.aset_heartbeat_interval(2000)
    assert (await ctl.aheartbeat_interval())["interval"] == 2000
    sid, token = await new_session(server, "interval")
    async with Bot(server, token) as bot:
        await bot.ready()
        hello = [p for p in bot.log.received_payloads() if p.get("op") == 10]
        assert hello and hello[0]["d"]["heartbeat_interval"] == 2000, hello


async def test_delete_session_closes_with_1000(server: GatewayTape) -> None:
    ctl = server.control
    sid, token = await new_session(server, "deleted")
    async with Bot(server, token) as bot:
        await bot.ready()
        await ctl.adelete_session(sid)
        await bot.wait_for("disconnect", timeout=5)
        assert closed_codes(bot)[:1] == [1000], closed_codes(bot)
        status, _ = await ctl.arequest("GET", f"/api/control/sessions/{sid}", expect=())
        assert status == 404
