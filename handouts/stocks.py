"""Card stocks and sheet layouts, in millimetres, with the sources of their numbers.

A sheet's page 1 holds the fronts and page 2 the backs. After a long-edge duplex flip a
back lands mirrored left-to-right, so back i is placed at the mirror image of front i's
position: x_back = sheet width - x_front - card width, same y.
"""

from dataclasses import dataclass

MM_PER_IN = 25.4
MM_PER_PT = MM_PER_IN / 72


@dataclass(frozen=True)
class Card:
    name: str
    width_mm: float
    height_mm: float
    safe_mm: float  # content is kept this far inside the trim on every edge
    source: str


@dataclass(frozen=True)
class Rect:
    x_mm: float  # from the left edge of the page
    y_mm: float  # from the top edge of the page
    width_mm: float
    height_mm: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x_mm + self.width_mm / 2, self.y_mm + self.height_mm / 2)


@dataclass(frozen=True)
class Sheet:
    name: str
    paper: str  # CSS page size
    width_mm: float
    height_mm: float
    columns: int
    rows: int
    left_mm: float
    top_mm: float
    column_pitch_mm: float
    row_pitch_mm: float
    cell_width_mm: float  # the perforated (or cut) cell the card is centred on
    cell_height_mm: float
    crop_marks: bool
    source: str

    @property
    def capacity(self) -> int:
        return self.columns * self.rows

    def cells(self) -> list[Rect]:
        """The cells in reading order: left to right, top to bottom."""
        return [
            Rect(
                self.left_mm + c * self.column_pitch_mm,
                self.top_mm + r * self.row_pitch_mm,
                self.cell_width_mm,
                self.cell_height_mm,
            )
            for r in range(self.rows)
            for c in range(self.columns)
        ]

    def fronts(self, card: Card) -> list[Rect]:
        return [_centre(card, cell) for cell in self.cells()]

    def backs(self, card: Card) -> list[Rect]:
        """Each back at the mirror image of its front, for a long-edge duplex flip."""
        return [
            Rect(self.width_mm - f.x_mm - f.width_mm, f.y_mm, f.width_mm, f.height_mm)
            for f in self.fronts(card)
        ]


def _centre(card: Card, cell: Rect) -> Rect:
    return Rect(
        cell.x_mm + (cell.width_mm - card.width_mm) / 2,
        cell.y_mm + (cell.height_mm - card.height_mm) / 2,
        card.width_mm,
        card.height_mm,
    )


US_BUSINESS = Card(
    "us-business", 3.5 * MM_PER_IN, 2 * MM_PER_IN, 0.125 * MM_PER_IN, "US business card, 3.5 x 2 in"
)
# ISO/IEC 7810 ID-1; corners are rounded with a 3.18 mm radius, so content keeps 3.5 mm
# clear of every edge.
ID1 = Card("id1", 85.60, 53.98, 3.5, "ISO/IEC 7810 ID-1, 85.60 x 53.98 mm")

AVERY_5371 = Sheet(
    "avery-5371",
    "letter",
    8.5 * MM_PER_IN,
    11 * MM_PER_IN,
    columns=2,
    rows=5,
    left_mm=0.75 * MM_PER_IN,
    top_mm=0.5 * MM_PER_IN,
    column_pitch_mm=3.5 * MM_PER_IN,
    row_pitch_mm=2 * MM_PER_IN,
    cell_width_mm=3.5 * MM_PER_IN,
    cell_height_mm=2 * MM_PER_IN,
    crop_marks=False,
    source="Avery 5371/8371 business cards: 10 per Letter sheet, 2 x 5, 0.75 in left and "
    "0.5 in top margin, no gutters",
)
AVERY_C32011 = Sheet(
    "avery-c32011",
    "A4",
    210.0,
    297.0,
    columns=2,
    rows=5,
    left_mm=15.0,
    top_mm=13.5,
    column_pitch_mm=95.0,
    row_pitch_mm=54.0,
    cell_width_mm=85.0,
    cell_height_mm=54.0,
    crop_marks=False,
    source="Avery C32011-10 business cards: 85 x 54 mm, 2 x 5 per A4 sheet, 15 mm left and "
    "13.5 mm top margin, 95 mm column pitch",
)
# Plain Letter paper for ID-1 cards cut by hand: 2 x 4 with 6 mm between cards for the
# crop marks, centred on the sheet.
_ID1_GAP = 6.0
ID1_LETTER = Sheet(
    "id1-letter",
    "letter",
    8.5 * MM_PER_IN,
    11 * MM_PER_IN,
    columns=2,
    rows=4,
    left_mm=(8.5 * MM_PER_IN - 2 * ID1.width_mm - _ID1_GAP) / 2,
    top_mm=(11 * MM_PER_IN - 4 * ID1.height_mm - 3 * _ID1_GAP) / 2,
    column_pitch_mm=ID1.width_mm + _ID1_GAP,
    row_pitch_mm=ID1.height_mm + _ID1_GAP,
    cell_width_mm=ID1.width_mm,
    cell_height_mm=ID1.height_mm,
    crop_marks=True,
    source="handouts' own layout: ID-1 cards 2 x 4 on Letter, 6 mm apart, with crop marks",
)


@dataclass(frozen=True)
class Stock:
    name: str
    card: Card
    sheets: dict[str, Sheet]  # paper -> sheet layout
    bleed_mm: float = 0.0  # print-shop cards: colour runs this far past the trim
    description: str = ""


PRINT_SHOP_BLEED_MM = 3.0
CROP_MARK_MM = 6.0  # length of crop marks, drawn outside the bleed

STOCKS = {
    "us-business": Stock(
        "us-business",
        US_BUSINESS,
        {"letter": AVERY_5371},
        description="3.5 x 2 in; sheets: Avery 5371/8371, 10 per Letter page",
    ),
    "id1": Stock(
        "id1",
        ID1,
        {"a4": AVERY_C32011, "letter": ID1_LETTER},
        description="ISO ID-1 85.60 x 53.98 mm; sheets: Avery C32011-10 (A4), "
        "Letter with crop marks",
    ),
    "print-shop": Stock(
        "print-shop",
        US_BUSINESS,
        {},
        bleed_mm=PRINT_SHOP_BLEED_MM,
        description="one 3.5 x 2 in card with 3 mm bleed and crop marks",
    ),
}


def sheet_for(stock: Stock, paper: str) -> Sheet:
    """The sheet layout of a stock on a paper size, or the stock's only one."""
    if not stock.sheets:
        raise KeyError(
            f"the {stock.name} stock has no sheet layout; it prints one card per "
            "page (use --kind card)"
        )
    return stock.sheets.get(paper) or next(iter(stock.sheets.values()))
