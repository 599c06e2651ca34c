"""QR codes as vector SVG, checked against the print rules before they reach a page."""

import base64
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q

from .errors import RenderError

QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004 minimum)
MIN_MODULE_MM = 0.4  # below this, office laser printers and phone cameras struggle


@dataclass(frozen=True)
class QRCode:
    url: str
    data_uri: str  # data:image/svg+xml;base64,... for an <img>
    width_mm: float  # printed width, quiet zone included
    modules: int  # modules across, quiet zone included

    @property
    def module_mm(self) -> float:
        return self.width_mm / self.modules


@lru_cache(maxsize=256)
def make_qr(url: str, width_mm: float, fix: str = "use a shorter address") -> QRCode:
    """Encode an https URL as an SVG of the given width: at error-correction level Q, or
    at M when Q's modules would be too small to scan (a long address, such as a web
    edition's under a clinic's own path). fix: what to do when neither fits."""
    if not url.startswith("https://"):
        raise RenderError(
            f"QR code: {url!r} is not an https:// address; only https links are printed"
        )
    for level in (ERROR_CORRECT_Q, ERROR_CORRECT_M):
        code = qrcode.QRCode(error_correction=level, border=QUIET_ZONE)
        code.add_data(url)
        code.make(fit=True)
        modules = code.modules_count + 2 * QUIET_ZONE
        if width_mm / modules >= MIN_MODULE_MM:
            break
    else:
        raise RenderError(
            f"QR code: {url!r} needs {modules} modules, which makes each module "
            f"{width_mm / modules:.2f} mm at {width_mm:g} mm wide (minimum {MIN_MODULE_MM} mm); "
            + fix
        )
    svg = _svg(code.get_matrix(), width_mm)
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    return QRCode(url, data_uri, width_mm, modules)


def _svg(matrix: list[list[bool]], width_mm: float) -> str:
    """Each row's dark runs as strokes one module wide (butt ends make them exact
    rectangles): two short path commands per run, where squares take five per module.
    WeasyPrint parses path data slowly, so this is most of the cost of drawing a code."""
    rows = []
    for y, row in enumerate(matrix):
        commands, pen, x = [], None, 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            move = f"M{start} {y + 0.5:g}" if pen is None else f"m{start - pen} 0"
            commands.append(f"{move}h{x - start}")
            pen = x
        rows += commands
    size = len(matrix)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm:g}mm" '
        f'height="{width_mm:g}mm" viewBox="0 0 {size} {size}">'
        f'<path d="{"".join(rows)}" fill="none" stroke="#000" stroke-width="1"/></svg>'
    )
