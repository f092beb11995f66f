"""The report rendered by headless Chromium: a screenshot, a full DOM, no console errors, no request."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import lxml.html
import pytest

from webcorpus.report import write_report
from webcorpus.report.html import SECTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` binary (Debian: apt-get install -y chromium)")

#: Hosts Chromium itself calls (time, updates, accounts) whatever the page; the page's own requests are the rest.
BROWSER_OWN_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")


def chromium(page: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
                   f"--log-net-log={folder / 'net.json'}", "--host-resolver-rules=MAP * ~NOTFOUND",
                   *args, page.resolve().as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)


def page_requests(net_log: Path) -> set[str]:
    """URLs the page asked the network for, from Chromium's NetLog."""
    log = json.loads(net_log.read_text())
    starts = {v for k, v in log["constants"]["logEventTypes"].items() if k == "URL_REQUEST_START_JOB"}
    urls = {e["params"]["url"] for e in log["events"] if e["type"] in starts and "url" in e.get("params", {})}
    return {u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))
            and not any(u.split("/")[2].endswith(host) for host in BROWSER_OWN_HOSTS)}


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_checks_catch_a_page_that_fetches_and_fails(tmp_path):
    """The detectors below are not blind: a page with a remote image and a console error trips both."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><img src="http://example.invalid/x.png"><script>console.error("boom")</script>')
    done = chromium(bad, tmp_path, "--dump-dom")
    assert "http://example.invalid/x.png" in page_requests(tmp_path / "net.json")
    assert any("boom" in line for line in console_messages(done.stderr))


def test_report_renders_without_errors_or_requests(full_run, tmp_path):
    page = write_report(full_run)
    dom = chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    assert page_requests(tmp_path / "net.json") == set()
    rendered = lxml.html.fromstring(dom.stdout)
    for key, _ in SECTIONS:
        assert rendered.xpath(f'//section[@id="{key}"]'), key
    assert len(rendered.xpath("//svg")) >= 7
    assert rendered.xpath('//div[@id="headline"]/div[@data-key="pages_read"]')

    shot = full_run / "report.png"
    done = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,4000")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert png_size(shot) == (1280, 4000)
    assert console_messages(done.stderr) == []
    assert shot.stat().st_size > 50_000  # a page of text and charts, not a blank image
