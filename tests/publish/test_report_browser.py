"""The report in headless Chromium, at a laptop's width and a phone's, at 100 % zoom: every page lays out without
a label cut or pushed out of its box, nothing wider than the screen, no console error; screenshots checked."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from aggregator.publish.export import export
from aggregator.publish.report.site import write_site
from tests.publish.report_fixtures import build_atlas

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's chromium package)"
    ),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]
WIDTHS = {"laptop": 1366, "phone": 390}

# Loads each page in a frame of each width and lists what does not fit: the page wider than the frame, an
# element of a card (outside a scrolling table) reaching past the card, text cut by its box, SVG text outside its
# picture. The report itself has no script; this page is the test's own.
HARNESS = """<!doctype html><html><head><meta charset="utf-8"><title>running</title></head><body>
<pre id="result"></pre><script>
const pages = PAGES, widths = WIDTHS;
function problems(doc, width) {
  const found = [], root = doc.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) found.push(`page ${root.scrollWidth}px wide in ${root.clientWidth}px`);
  for (const svg of doc.querySelectorAll("svg")) {
    const box = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll("text")) {
      const b = t.getBBox();
      if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5
          || b.y + b.height > box.y + box.height + 0.5) found.push(`svg text cut: ${t.textContent}`);
    }
  }
  for (const card of doc.querySelectorAll(".card, .bar-row")) {
    const c = card.getBoundingClientRect();
    for (const el of card.querySelectorAll("*")) {
      if (el.closest(".scroll") || el.closest("svg") || el.closest("details:not([open])")) continue;
      const r = el.getBoundingClientRect();
      if (r.width && (r.right > c.right + 1 || r.left < c.left - 1))
        found.push(`out of its box: ${el.className} "${el.textContent.trim().slice(0, 50)}"`);
    }
  }
  for (const el of doc.querySelectorAll("body *")) {
    const s = doc.defaultView.getComputedStyle(el);
    if (["hidden", "clip"].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push(`cut: "${el.textContent.trim().slice(0, 50)}"`);
  }
  return found;
}
function check(src, width) {
  return new Promise(resolve => {
    const frame = document.createElement("iframe");
    frame.style.width = width + "px"; frame.style.height = "800px"; frame.style.border = "0";
    frame.onload = () => {
      const doc = frame.contentDocument;
      const found = doc ? problems(doc, width) : ["the page could not be read"];
      frame.remove();
      resolve(found.map(p => `${src} at ${width}px: ${p}`));
    };
    frame.src = src;
    document.body.appendChild(frame);
  });
}
(async () => {
  let all = [];
  for (const page of pages) for (const width of widths) all = all.concat(await check(page, width));
  document.getElementById("result").textContent = JSON.stringify(all);
  document.title = "done";
})();
</script></body></html>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def _no_console_error(result: subprocess.CompletedProcess) -> None:
    assert "Uncaught" not in result.stderr and "ERROR:CONSOLE" not in result.stderr, result.stderr[-2000:]


@pytest.fixture
def site(conn, tmp_path) -> Path:
    build_atlas(conn)
    export(conn, tmp_path / "export")
    write_site(conn, tmp_path / "site", downloads=tmp_path / "export")
    return tmp_path / "site"


def test_every_page_fits_a_laptop_and_a_phone(site, tmp_path) -> None:
    pages = sorted(p.name for p in site.glob("*.html"))
    assert len(pages) == 11
    harness = site / "harness.html"
    harness.write_text(
        HARNESS.replace("PAGES", json.dumps(pages)).replace("WIDTHS", json.dumps(list(WIDTHS.values()))),
        encoding="utf-8",
    )
    result = _chromium(
        tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=60000", "--dump-dom", harness.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1), "the harness did not finish: " + result.stdout[-500:]
    problems = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert problems == [], "\n".join(problems)
    _no_console_error(result)


def test_the_harness_finds_a_clipped_label(tmp_path) -> None:
    """The check above can fail: a label that does not wrap, in a box too narrow for it."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html><body><div class="card" style="width: 120px">'
        '<span style="white-space: nowrap">suppressed (too few eligible: n = 4 &lt; 30)</span></div>'
        '<svg viewBox="0 0 60 20" width="60" height="20"><text x="40" y="15">n = 4 (</text></svg></body></html>',
        encoding="utf-8",
    )
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.replace("PAGES", '["bad.html"]').replace("WIDTHS", "[390]"), encoding="utf-8")
    result = _chromium(
        tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=20000", "--dump-dom", harness.as_uri()
    )
    found = json.loads(re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S).group(1).replace("&quot;", '"'))
    assert any("out of its box" in p for p in found) and any("svg text cut: n = 4 (" in p for p in found), found


@pytest.mark.parametrize("device", WIDTHS)
@pytest.mark.parametrize("page", ["index.html", "year-2024.html", "country-xb.html", "trends.html"])
def test_screenshots(site, tmp_path, device, page) -> None:
    width = WIDTHS[device]
    screenshot = tmp_path / f"{device}-{page}.png"
    result = _chromium(tmp_path, f"--screenshot={screenshot}", f"--window-size={width},1800", (site / page).as_uri())
    assert screenshot.exists(), result.stderr[-2000:]
    _no_console_error(result)
    found_width, height, distinct = _png_summary(screenshot.read_bytes())
    assert (found_width, height) == (width, 1800)
    assert distinct > 20, "the screenshot is blank"


def _png_summary(data: bytes) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the decompressed pixels hold (1 or 2 for a blank page)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, height = 8, b"", 0, 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))
