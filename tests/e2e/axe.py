"""axe-core for the browser tests: fetched from the npm registry at test time, never committed.

Which violations fail a test is decided by one rule (``isOurs`` in ``RUN_AXE``), applied
to every element (node) axe reports:

* **Ours** is what the app's own code renders: elements inside the main content
  (``stMainBlockContainer``) or the sidebar's content (``stSidebarUserContent``), and not
  inside a part of a widget Streamlit draws for itself (``STREAMLIT_INTERNALS``: the
  element toolbars, the data grid's canvas and overlays, plotly's mode bar, tooltips,
  popovers and the file uploader's drop zone). That is where our page titles, headings,
  chart titles, table headers and form labels live, and a critical violation there fails
  the journey.
* **Streamlit's** is everything else: the app header and toolbar, the sidebar's page
  navigation and collapse buttons, status widgets, and the internals listed below. Those
  are recorded in ``test-artifacts/e2e/axe-report.json`` and printed, but do not fail: we
  cannot change them from this project.

Only the ``critical`` impact level fails; serious, moderate and minor are reported.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from collections import Counter
from pathlib import Path

AXE_VERSION = "4.14.1"
DEFAULT_REGISTRY = "https://registry.npmjs.org/"

# CSS selectors of the app's own content, and of Streamlit-drawn parts inside it.
OUR_CONTENT = ('[data-testid="stMainBlockContainer"]', '[data-testid="stSidebarUserContent"]')
STREAMLIT_INTERNALS = (
    '[data-testid="stElementToolbar"]',
    '[data-testid="stDataFrameResizable"] .dvn-scroller',
    '[data-testid="data-grid-canvas"]',
    ".modebar-container",
    '[data-testid="stTooltipContent"]',
    '[data-testid="stFileUploaderDropzone"]',
    '[data-baseweb="popover"]',
)
FAILING_IMPACTS = ("critical",)


class Unavailable(Exception):
    """axe-core could not be fetched (no registry, no network)."""


def registry() -> str:
    """The npm registry as configured here: npm's own setting, else the public default."""
    environ = os.environ
    configured = environ.get("npm_config_registry", "")  # npm spells it in lower case
    configured = configured or environ.get("NPM_CONFIG_REGISTRY", "")
    if not configured and shutil.which("npm"):
        try:
            configured = subprocess.run(
                ["npm", "config", "get", "registry"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            configured = ""
    configured = configured if configured.startswith("http") else DEFAULT_REGISTRY
    return configured if configured.endswith("/") else configured + "/"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def load(cache: Path) -> str:
    """axe.min.js of AXE_VERSION, from the cache or the registry (integrity checked)."""
    cached = cache / f"axe-{AXE_VERSION}.min.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    base = registry()
    try:
        manifest = json.loads(_get(f"{base}axe-core/{AXE_VERSION}"))
        tarball = _get(manifest["dist"]["tarball"])
    except (OSError, ValueError, KeyError) as error:
        raise Unavailable(f"{base}: {error}") from error
    algorithm, _, expected = manifest["dist"].get("integrity", "").partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"}:
        raise Unavailable(f"no usable integrity for axe-core {AXE_VERSION}")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        raise Unavailable(f"axe-core {AXE_VERSION} tarball failed its integrity check")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        source = archive.extractfile("package/axe.min.js").read().decode("utf-8")
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(source, encoding="utf-8")
    return source


# Runs in the page: axe's violations, each node marked ours or not by the rule above.
RUN_AXE = """
async ([ours, internals]) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  const isOurs = (element) =>
    !!element &&
    ours.some((selector) => element.closest(selector)) &&
    !internals.some((selector) => element.closest(selector));
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => {
      const target = node.target.map(String);
      let element = null;
      try { element = document.querySelector(target[target.length - 1]); } catch (e) {}
      return {
        target,
        html: node.html.slice(0, 300),
        impact: node.impact || violation.impact,
        summary: (node.failureSummary || "").slice(0, 500),
        ours: isOurs(element),
      };
    }),
  }));
}
"""


def check(page, script: str) -> list[dict]:
    """Inject axe (once per document) and return its violations, nodes marked ``ours``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script)
    return page.evaluate(RUN_AXE, [list(OUR_CONTENT), list(STREAMLIT_INTERNALS)])


def failures(violations: list[dict]) -> list[str]:
    """Critical violations in our content, one line per element."""
    return [
        f"{violation['id']} ({node['impact']}): {violation['help']} at {node['target']}: "
        f"{node['html']}"
        for violation in violations
        for node in violation["nodes"]
        if node["ours"] and node["impact"] in FAILING_IMPACTS
    ]


def write_report(entries: list[dict], path: Path) -> list[str]:
    """All findings as JSON; returns a short count for the end-of-session summary."""
    if not entries:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    counts: Counter = Counter()
    for entry in entries:
        for violation in entry["violations"]:
            for node in violation["nodes"]:
                whose = "ours" if node["ours"] else "streamlit"
                counts[(whose, violation["id"], node["impact"])] += 1
    lines = [f"axe-core {AXE_VERSION}: findings by owner, rule and impact ({path})"]
    lines += [
        f"  {whose:9} {rule} [{impact}]: {n}" for (whose, rule, impact), n in sorted(counts.items())
    ]
    return lines
