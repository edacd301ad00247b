"""`gatewaytape report` (SPEC §1, §11; issue 14) in a real browser.

Debian's `chromium` driven through `chromium-driver` by Selenium (headless, nothing downloaded).
For each golden recording in recordings/: the page loads with no console error and no network
request; its lanes are the recording's connections; close codes are shown; filtering by
MESSAGE_CREATE leaves only those marks; clicking a mark shows its JSON, time offset and sequence
number; hiding heartbeats removes them; the keyboard moves the selection. A generated
100,000-frame session must show its timeline within 2 s of opening and stay responsive, in a
file no bigger than 3x its payloads. `replay --verify --report` writes the live run's report.

Screenshots of each golden report (and the large one) go to Tools/interop/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from typing import Any, Dict, List

import pytest

from generate_session import write_session
from test_replay import REPLAY_TIMEOUT_S, golden, run_replay
from golden import golden_intents

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENSHOTS = os.path.join(HERE, "screenshots")
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
GOLDENS = ["plain", "resume", "zombie", "invalidate"]
LOAD_BUDGET_MS = 2000


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} missing: apt-get install chromium chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path: str) -> Dict[str, Any]:
    """Loads the page (after draining old logs); returns the load figures and what it requested."""
    driver.get_log("browser")
    driver.get_log("performance")
    started = time.monotonic()
    driver.get("file://" + path)
    loaded_s = time.monotonic() - started
    ready = driver.execute_script("return !!window.gatewaytapeReport")
    assert ready, "the page's script did not run (window.gatewaytapeReport missing)"
    first_draw_ms = driver.execute_script("return window.gatewaytapeReport.firstDrawMs")
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url != "file://" + path:
                requests.append(url)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    return {"loaded_s": loaded_s, "first_draw_ms": first_draw_ms, "requests": requests, "errors": errors}


def hook(driver, expression: str) -> Any:
    return driver.execute_script("return window.gatewaytapeReport." + expression)


def wait_for(driver, expression: str, expected: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = hook(driver, expression)
        if value == expected:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{expression} is {value!r}, expected {expected!r}")


def set_filter(driver, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "gt-filter")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        box.send_keys(text)


def click_mark(driver, index: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(By.ID, "gt-canvas")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    point = hook(driver, f"markPoint({index})")
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(point["x"] - size["width"] / 2), int(point["y"] - size["height"] / 2)).click().perform()


def screenshot(driver, name: str) -> str:
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, name + ".png")
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height + 40, 900), 2400))
    driver.save_screenshot(path)
    driver.set_window_size(1400, 1000)
    return path


def report(binary: str, recording: str, output: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "report", recording, "--output", output, *extra], capture_output=True, text=True,
                          timeout=300)


# --------------------------------------------------------------------------- the recording's side


def recorded(path: str) -> Dict[str, Any]:
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        connections = db.execute(
            "SELECT id, coalesce(shard_id, 0), close_code, closed_by FROM connections ORDER BY coalesce(shard_id, 0), id"
        ).fetchall()
        frames = db.execute("SELECT count(*) FROM frames").fetchone()[0]
        heartbeats = db.execute("SELECT count(*) FROM frames WHERE op IN (1, 11)").fetchone()[0]
        messages = db.execute(
            "SELECT seq, payload, t_ns FROM frames WHERE event = 'MESSAGE_CREATE' ORDER BY id").fetchall()
        origin = min(v for v in db.execute(
            "SELECT min(t_ns) FROM frames UNION ALL SELECT min(opened_ns) FROM connections "
            "UNION ALL SELECT min(t_ns) FROM http UNION ALL SELECT min(t_ns) FROM controls "
            "UNION ALL SELECT min(created_ns) FROM sessions").fetchall()
                     if v[0] is not None)[0]
        payload_bytes = db.execute(
            "SELECT (SELECT coalesce(sum(length(CAST(payload AS BLOB))), 0) FROM frames) + "
            "(SELECT coalesce(sum(length(CAST(request AS BLOB)) + length(CAST(response AS BLOB))), 0) FROM http) + "
            "(SELECT coalesce(sum(length(CAST(args AS BLOB))), 0) FROM controls)").fetchone()[0]
    finally:
        db.close()
    return {"connections": connections, "frames": frames, "heartbeats": heartbeats, "messages": messages,
            "origin": origin, "payload_bytes": payload_bytes}


# --------------------------------------------------------------------------- golden recordings


@pytest.mark.parametrize("name", GOLDENS)
def test_golden_report_in_browser(name: str, browser, gatewaytape_bin: str, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    recording = str(tmp_path / f"{name}.sqlite")
    shutil.copy(golden(name), recording)
    page = str(tmp_path / f"{name}.html")
    run = report(gatewaytape_bin, recording, page)
    assert run.returncode == 0 and run.stderr == "", run
    expected = recorded(recording)

    loaded = open_page(browser, page)
    assert loaded["errors"] == [], f"console errors: {loaded['errors']}"
    assert loaded["requests"] == [], f"the page made network requests: {loaded['requests']}"

    # lanes: one per connection, grouped by shard, then REST and controls
    lanes = hook(browser, "lanes")
    connection_lanes = [lane for lane in lanes if lane["kind"] == "connection"]
    assert [(lane["connection"], lane["shard"]) for lane in connection_lanes] == [
        (row[0], row[1]) for row in expected["connections"]], (lanes, expected["connections"])
    assert all(lane["group"] == f"shard {lane['shard']}" for lane in connection_lanes)
    assert [lane["kind"] for lane in lanes[len(connection_lanes):]] == ["rest", "controls"]
    # close codes in the connections table and on the lanes
    for (connection, _, code, by), lane in zip(expected["connections"], connection_lanes):
        cell = browser.find_element(By.CSS_SELECTOR, f'#gt-connections tr[data-connection="{connection}"] td.close-code')
        assert cell.text.startswith(str(code)), (connection, cell.text, code)
        assert lane["close"].startswith(f"{code} by {by}"), lane
    if name == "resume":
        assert connection_lanes[0]["close"] == "4000 by server (golden resume)", connection_lanes[0]
        header = browser.find_element(By.ID, "gt-connections").text
        assert "4000" in header and "golden resume" in header, header
    total = hook(browser, "markCount")
    assert hook(browser, "visibleCount()") == total

    # filter: only MESSAGE_CREATE marks remain
    set_filter(browser, "MESSAGE_CREATE")
    wait_for(browser, "visibleByName()", {"MESSAGE_CREATE": len(expected["messages"])})
    status = browser.find_element(By.ID, "gt-status").text
    assert status == f"{len(expected['messages'])} of {total} marks shown", status

    # click a mark: its JSON, offset and seq are shown
    index = hook(browser, "firstVisible('MESSAGE_CREATE')")
    click_mark(browser, index)
    wait_for(browser, "selected()", index)
    meta = browser.find_element(By.ID, "gt-detail-meta").text
    shown = json.loads(browser.find_element(By.ID, "gt-json").text)
    seq, payload, t_ns = expected["messages"][0]
    assert shown == json.loads(payload), shown
    assert meta.startswith("MESSAGE_CREATE · server → bot: dispatch · op 0 · ") and f"seq {seq}" in meta, meta
    offset = float(re.search(r" · \+(\d+\.\d{3}) s · ", meta).group(1))
    assert abs(offset - (t_ns - expected["origin"]) / 1e9) <= 0.0015, (meta, t_ns, expected["origin"])

    # keyboard: → and ← move the selection along the lane (the connection's close follows the message)
    set_filter(browser, "")
    wait_for(browser, "visibleCount()", total)
    canvas = browser.find_element(By.ID, "gt-canvas")
    canvas.send_keys(Keys.ARROW_RIGHT)
    moved = hook(browser, "selected()")
    assert moved != index and moved >= 0, moved
    assert browser.find_element(By.ID, "gt-detail-meta").text != meta, "the new selection is announced"
    canvas.send_keys(Keys.ARROW_LEFT)
    assert hook(browser, "selected()") == index

    # hide heartbeats
    assert hook(browser, "visibleHeartbeats()") == expected["heartbeats"] > 0
    browser.find_element(By.ID, "gt-heartbeats").click()
    wait_for(browser, "visibleHeartbeats()", 0)
    assert hook(browser, "visibleCount()") == total - expected["heartbeats"]
    names = hook(browser, "visibleByName()")
    assert "HEARTBEAT" not in names and "HEARTBEAT_ACK" not in names, names

    # labelled controls
    for control in browser.find_elements(By.CSS_SELECTOR, "input, button, canvas"):
        labelled = (control.get_attribute("aria-label") or control.get_attribute("aria-labelledby") or control.text.strip()
                    or browser.find_elements(By.CSS_SELECTOR, f'label[for="{control.get_attribute("id")}"]')
                    or control.find_elements(By.XPATH, "ancestor::label"))
        assert labelled, f"{control.tag_name}#{control.get_attribute('id')} has no label"

    browser.find_element(By.ID, "gt-heartbeats").click()
    wait_for(browser, "visibleCount()", total)
    index = hook(browser, "firstVisible('MESSAGE_CREATE')")
    click_mark(browser, index)
    screenshot(browser, f"report-{name}")
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []


# --------------------------------------------------------------------------- 100,000 frames


def test_large_session_loads_within_budget(browser, gatewaytape_bin: str, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    recording = str(tmp_path / "big.sqlite")
    figures = write_session(recording, frames=100_000)
    assert figures["frames"] == 100_000
    page = str(tmp_path / "big.html")
    started = time.monotonic()
    run = report(gatewaytape_bin, recording, page)
    generate_s = time.monotonic() - started
    assert run.returncode == 0, run
    expected = recorded(recording)
    size = os.path.getsize(page)
    ratio = size / expected["payload_bytes"]
    assert ratio <= 3.0, f"page {size} bytes is {ratio:.2f}x the session's {expected['payload_bytes']} payload bytes"

    loaded = open_page(browser, page)
    assert loaded["errors"] == [] and loaded["requests"] == [], loaded
    assert hook(browser, "markCount") >= 100_000
    assert [lane["connection"] for lane in hook(browser, "lanes") if lane["kind"] == "connection"] == [1, 2, 3]

    started = time.monotonic()
    set_filter(browser, "MESSAGE_CREATE")
    wait_for(browser, "visibleByName()", {"MESSAGE_CREATE": figures["message_create"]}, timeout=20)
    filter_s = time.monotonic() - started
    filter_ms = hook(browser, "lastFilterMs()")
    draw_ms = browser.execute_script(
        "const r = window.gatewaytapeReport; r.zoom(0.5); return r.drawNow();")
    text_started = time.monotonic()
    set_filter(browser, 'text:"message 12340:"')
    wait_for(browser, "visibleCount()", 1, timeout=20)
    text_filter_s = time.monotonic() - text_started
    text_filter_ms = hook(browser, "lastFilterMs()")
    index = hook(browser, "firstVisible()")
    click_mark(browser, index)
    wait_for(browser, "selected()", index)
    assert "message 12340:" in browser.find_element(By.ID, "gt-json").text
    set_filter(browser, "")
    wait_for(browser, "visibleCount()", hook(browser, "markCount"), timeout=20)
    full_draw_ms = browser.execute_script("const r = window.gatewaytapeReport; r.fit(); return r.drawNow();")
    screenshot(browser, "report-100k")

    result = {
        "frames": figures["frames"], "payload_bytes": expected["payload_bytes"], "page_bytes": size,
        "page_to_payload": round(ratio, 2), "report_command_s": round(generate_s, 2),
        "first_draw_ms": round(loaded["first_draw_ms"]), "get_s": round(loaded["loaded_s"], 2),
        "filter_message_create_s": round(filter_s, 2), "filter_message_create_ms_in_page": round(filter_ms, 1),
        "text_filter_s": round(text_filter_s, 2), "text_filter_ms_in_page": round(text_filter_ms, 1),
        "draw_all_marks_ms": round(full_draw_ms, 1), "draw_half_zoom_ms": round(draw_ms, 1),
    }
    os.makedirs(SCREENSHOTS, exist_ok=True)
    with open(os.path.join(SCREENSHOTS, "report-100k.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    sys.stderr.write(f"\nreport of 100,000 frames: {json.dumps(result)}\n")
    assert loaded["first_draw_ms"] <= LOAD_BUDGET_MS, result
    assert full_draw_ms <= 250, result


# --------------------------------------------------------------------------- replay --report


@pytest.mark.timeout_s(REPLAY_TIMEOUT_S + 30)
async def test_failed_replay_writes_the_live_report(browser, gatewaytape_bin: str, tmp_path, monkeypatch) -> None:
    """plain.sqlite replayed to a bot with other intents: --verify exits 1 and --report holds the
    live run (its connection, the re-dispatched messages, the bot's IDENTIFY); the temporary
    recording it was made from is gone."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    page = str(tmp_path / "live.html")
    junit = str(tmp_path / "out.xml")
    result = await run_replay(gatewaytape_bin, golden("plain"), "plain",
                              ["--verify", "--timeout", str(REPLAY_TIMEOUT_S), "--junit", junit, "--report", page],
                              intents=golden_intents(message_content=False))
    try:
        assert result.code == 1, result.explain()
        assert os.path.isfile(junit) and os.path.isfile(page), result.explain()
        loaded = open_page(browser, page)
        assert loaded["errors"] == [] and loaded["requests"] == [], loaded
        lanes = [lane for lane in hook(browser, "lanes") if lane["kind"] == "connection"]
        assert len(lanes) == 1, lanes
        names = hook(browser, "visibleByName()")
        assert names.get("IDENTIFY") == 1 and names.get("MESSAGE_CREATE") == 6, names
        from selenium.webdriver.common.by import By
        assert "mode replay" in browser.find_element(By.CSS_SELECTOR, "header .sub").text
        leftovers = os.listdir(temporary)
        assert leftovers == [], f"the temporary live recording was left behind: {leftovers}"
    finally:
        result.replay.cleanup()
