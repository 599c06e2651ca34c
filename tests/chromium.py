"""Debian's Chromium, as the browser tests launch it (Playwright cannot download its own
browser here): quiet, no sandbox (tests may run as root), nothing fetched in the background."""

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
