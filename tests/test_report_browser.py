"""The report of a small real sweep, opened in headless Chromium: no errors, every figure drawn."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lstmsizer.datasets import get
from lstmsizer.report import build_report
from lstmsizer.sweeping import sweep

pytestmark = pytest.mark.browser

# Runs before the page's own script: records errors, then measures every figure and sorts the
# configuration table by parameters once the page has run, into <pre id="probe">.
PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push("error: " + (e.message || (e.target && e.target.outerHTML) || e));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push("rejection: " + e.reason);
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""
PROBE_TAIL = """<script>
(function () {
  var figures = Array.prototype.map.call(document.querySelectorAll("svg"), function (svg) {
    var box = svg.getBoundingClientRect();
    return {name: svg.getAttribute("aria-label"), width: box.width, height: box.height};
  });
  var table = document.getElementById("summary");
  var header = Array.prototype.filter.call(table.tHead.rows[0].cells, function (th) {
    return th.textContent.trim() === "parameters";
  })[0];
  header.click();
  var column = Array.prototype.indexOf.call(header.parentNode.children, header);
  var sorted = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
    return Number(row.cells[column].getAttribute("data-v"));
  });
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    errors: window.__errors,
    figures: figures,
    sorted: sorted,
    sort: header.getAttribute("aria-sort"),
    resources: performance.getEntriesByType("resource").map(function (r) { return r.name; }),
  });
  document.body.appendChild(probe);
})();
</script>"""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The Chromium binary; skip (outside CI) or fail (in CI) when it is not installed."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        reason = "headless Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def run_chromium(tmp: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Chromium with a fresh profile in tmp; its D-Bus noise on stderr is ignored."""
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chromium()
    out = tmp_path_factory.mktemp("sweep") / "run"
    sweep(
        get("sine", n=150), out=out, lags=4, units=(2, 4), layers=(1,), seeds=1, folds=1,
        epochs=2, patience=None, workers=1, progress=False,
    )  # fmt: skip
    return build_report(out)


def test_report_opens_without_errors_and_draws_every_figure(report: Path, tmp_path: Path) -> None:
    page = report.read_text(encoding="utf-8")
    probed = page.replace("<head>", "<head>" + PROBE_HEAD, 1).replace(
        "</body>", PROBE_TAIL + "</body>", 1
    )
    copy = report.with_name("probe.html")
    copy.write_text(probed, encoding="utf-8")
    dom = run_chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()).stdout
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert match, f"the probe did not run; DOM starts {dom[:300]!r}"
    probe = json.loads(html.unescape(match.group(1)))
    assert probe["errors"] == []
    assert probe["resources"] == []  # nothing fetched: the page is self-contained
    assert len(probe["figures"]) == page.count("<svg") >= 5
    for figure in probe["figures"]:
        assert figure["width"] > 100 and figure["height"] > 100, figure
    assert probe["sort"] == "ascending" and probe["sorted"] == sorted(probe["sorted"])


def test_report_screenshot_and_print(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", report.as_uri())
    print(f"report screenshot: {shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    pdf = tmp_path / "report.pdf"
    run_chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
