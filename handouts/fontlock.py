"""Make fontconfig see only the bundled fonts.

Pango asks fontconfig for fonts, and fontconfig would happily fall back to whatever the
machine has installed; then the same build differs between machines. Pointing
FONTCONFIG_FILE at a configuration that lists only ``fonts/`` closes that door. It must
happen before WeasyPrint (and with it Pango) is imported, so pdf.py imports this first.
"""

import hashlib
import os
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from .locations import FONTS_DIR

_CONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <config><rescan><int>0</int></rescan></config>
</fontconfig>
"""


# fontconfig's cache, and handouts' own of the fonts' character maps (fonts.py). Kept
# across runs, so child processes are told where it is: a run's own temporary folder
# (scratch.py) is removed when it ends.
CACHE_DIR = Path(
    os.environ.get("HANDOUTS_FONTCONFIG_CACHE")
    or Path(tempfile.gettempdir()) / f"handouts-fontconfig-{os.getuid()}"
)
os.environ["HANDOUTS_FONTCONFIG_CACHE"] = str(CACHE_DIR)


def lock_fonts() -> Path:
    cache = CACHE_DIR
    cache.mkdir(exist_ok=True)
    # One file for each fonts folder: two installs of handouts (two checkouts, two
    # virtual environments) must not point each other at their fonts.
    conf = cache / f"fonts-{hashlib.sha256(str(FONTS_DIR).encode()).hexdigest()[:16]}.conf"
    text = _CONFIG.format(fonts=escape(str(FONTS_DIR)), cache=escape(str(cache)))
    if not conf.exists() or conf.read_text() != text:
        # Several worker processes may start at once: never expose a half-written file.
        temp = conf.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(text)
        os.replace(temp, conf)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    return conf


lock_fonts()
