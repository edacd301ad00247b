"""pytest wiring for the gatewaytape interop suite.

* `server` fixture: a fresh `gatewaytape serve --port 0` per test. Options come from the
  `@pytest.mark.server(heartbeat_interval=MS, args=[...])` marker. On teardown the server gets
  SIGTERM and must exit 0 (SPEC §1).
* `async def` tests run in their own event loop via asyncio.run, with a per-test deadline
  (`@pytest.mark.timeout_s(N)`, default 60 s); no pytest plugin needed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import GatewayTape  # noqa: E402

DEFAULT_TIMEOUT_S = 60.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "server(heartbeat_interval=MS, args=[...], proxy_args=[...]): options for the gatewaytape server (proxy_args: for the proxy of test_proxy.py)")
    config.addinivalue_line("markers", "timeout_s(seconds): deadline for an async test")


def _binary() -> str:
    path = os.environ.get("GATEWAYTAPE_BIN")
    if not path:
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, check=True,
                                 capture_output=True, text=True).stdout.strip()
        path = os.path.join(bin_dir, "gatewaytape")
    return path


@pytest.fixture
def gatewaytape_bin() -> str:
    path = _binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"gatewaytape binary not found at {path} (set GATEWAYTAPE_BIN or run Tools/interop/run.sh)")
    return path


@pytest.fixture
def server(request: pytest.FixtureRequest, gatewaytape_bin: str):
    marker = request.node.get_closest_marker("server")
    opts = dict(marker.kwargs) if marker else {}
    srv = GatewayTape(
        gatewaytape_bin,
        heartbeat_interval=int(opts.get("heartbeat_interval", 41250)),
        extra_args=list(opts.get("args", [])),
    )
    try:
        yield srv
        code = srv.stop()
        if code is None:
            pytest.fail(f"gatewaytape did not exit within 10 s of SIGTERM (SPEC §1)\nstderr:\n{srv.stderr_tail()}")
        if code != 0:
            pytest.fail(f"gatewaytape exited with {code} after SIGTERM, SPEC §1 says 0\nstderr:\n{srv.stderr_tail()}")
    finally:
        if getattr(request.node, "rep_call_failed", False):
            sys.stderr.write(f"\n--- gatewaytape stderr (tail) for {request.node.nodeid} ---\n{srv.stderr_tail(80)}\n")
        srv.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call_failed = report.failed  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    marker = pyfuncitem.get_closest_marker("timeout_s")
    timeout = float(marker.args[0]) if marker else DEFAULT_TIMEOUT_S
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def run() -> None:
        try:
            await asyncio.wait_for(func(**kwargs), timeout=timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"test did not finish within {timeout} s") from None

    asyncio.run(run())
    return True


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture):
    # discord.py's own log is kept (shown for failing tests); its gateway debug log names every frame.
    caplog.set_level(logging.DEBUG, logger="discord.gateway")
    caplog.set_level(logging.INFO, logger="discord")
    yield
