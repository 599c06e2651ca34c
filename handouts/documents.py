"""The kinds of document, paper sizes and languages the pipeline knows about."""

from dataclasses import dataclass

KINDS = ("handout", "card")  # built by default
ALL_KINDS = ("handout", "card", "card-sheet")
# A discharge packet's own documents (packet.py): its first page, the list of the
# patient's medicines, and the wallet card that names them all.
PACKET_LIST = "packet"
PACKET_CARD = "packet-card"
# Without a clinic's settings or an option: the paper and the card stock (stocks.py).
DEFAULT_PAPER = "letter"
DEFAULT_STOCK = "us-business"


@dataclass(frozen=True)
class Paper:
    name: str
    css_size: str
    width_pt: float
    height_pt: float


PAPERS = {
    "letter": Paper("letter", "letter", 612.0, 792.0),  # 8.5 x 11 in
    "a4": Paper("a4", "A4", 595.276, 841.89),  # 210 x 297 mm
}

CARD_SIDES = ("front", "back")

# Printed QR widths, quiet zone included.
HANDOUT_QR_MM = 30.0
CARD_QR_MM = 22.0
