"""QR codes as vector SVG, checked against the print rules before they reach a page."""

import base64
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_Q

from .errors import RenderError

QUIET_ZONE = 4          # modules of white around the code (ISO/IEC 18004 minimum)
MIN_MODULE_MM = 0.4     # below this, office laser printers and phone cameras struggle


@dataclass(frozen=True)
class QRCode:
    url: str
    data_uri: str       # data:image/svg+xml;base64,... for an <img>
    width_mm: float     # printed width, quiet zone included
    modules: int        # modules across, quiet zone included

    @property
    def module_mm(self) -> float:
        return self.width_mm / self.modules


def make_qr(url: str, width_mm: float) -> QRCode:
    """Encode an https URL at error-correction level Q as an SVG of the given width."""
    if not url.startswith("https://"):
        raise RenderError(f"QR code: {url!r} is not an https:// address; only https links "
                          "are printed")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE
    if width_mm / modules < MIN_MODULE_MM:
        raise RenderError(
            f"QR code: {url!r} needs {modules} modules, which makes each module "
            f"{width_mm / modules:.2f} mm at {width_mm:g} mm wide (minimum {MIN_MODULE_MM} mm); "
            "use a shorter address")
    svg = code.make_image().to_string(encoding="unicode")
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    return QRCode(url, data_uri, width_mm, modules)
