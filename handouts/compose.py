"""Pipeline stage 2: put a drug, a language, a kind and the print options together.

The result is everything the templates need and nothing they must work out: strings are
ready to print, dates are formatted, QR codes are made and checked, and every card's
place on the page is computed from its stock.
"""

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from babel.dates import format_date
from markupsafe import Markup, escape

from .bidi import isolated_as
from .clinic import ClinicSettings
from .content import DrugContent
from .documents import CARD_QR_MM, HANDOUT_QR_MM, PACKET_CARD, PACKET_LIST, PAPERS, Paper
from .errors import HandoutsError
from .languages import SOURCE_LANGUAGE, direction, locale, use_content
from .localize import Localized, localize
from .locations import display_path
from .qr import QRCode, make_qr
from .schema import Drug
from .stocks import STOCKS, Rect, Sheet, Stock, sheet_for

PRINT_NOTE = (
    "Print at 100% (actual size, no scaling). Print both sides: page 1 on the front, "
    "page 2 on the back, flipping on the long edge."
)


@dataclass(frozen=True)
class Personal:
    """What a nurse writes in for one patient. Protected health information: it lives in
    memory only, and repr() never shows it (so it cannot reach a log or a traceback)."""

    patient_name: str = field(default="", repr=False)
    care_team: str = field(default="", repr=False)
    phone: str = field(default="", repr=False)
    start_date: dt.date | None = field(default=None, repr=False)

    def fields(self) -> dict[str, str]:
        return {"patient_name": self.patient_name, "care_team": self.care_team, "phone": self.phone}

    def filled(self) -> frozenset[str]:
        """The fields a nurse wrote in (of PERSONAL_FIELDS)."""
        return frozenset(key for key in PERSONAL_FIELDS if getattr(self, key))


# Each is printed in a paragraph of its own, after its label (macros.html, value()).
PERSONAL_FIELDS = ("patient_name", "start_date", "care_team", "phone")


class Unplaceable(Exception):
    """A template prints a reserved field other than through its place."""


class Reserved:
    """A reserved field in the context: true, so the template prints the field's line, but
    never printed itself (macros.html value() prints the place instead)."""

    def __init__(self, key: str):
        self.key = key

    def __html__(self):
        raise Unplaceable(f"{self.key} is printed without its place (macros.html, value())")

    __str__ = __html__


# A reserved field's place: an image, so that WeasyPrint gives it a position and a tag.
PLACE_IMAGE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
)


@dataclass(frozen=True)
class Job:
    """One document to build: what the CLI, the web app and the batch all hand over."""

    drug: DrugContent
    lang: str
    kind: str  # handout | card | card-sheet
    paper: str = "letter"
    allow_fallback: bool = False
    stock: str = "us-business"
    large_print: bool = False
    pdfa: bool = False  # PDF/A-3u archival copy
    count: int = 0  # cards on a sheet; 0 fills it
    clinic: ClinicSettings | None = field(default=None, compare=False)
    # A clinic's mixed stock run: (drug, lang) per card, in order; overrides drug/lang/count.
    slots: tuple[tuple[DrugContent, str], ...] = ()
    personal: Personal | None = field(default=None, compare=False, repr=False)
    # Personal fields printed as empty, tagged places, which handouts/stamp.py fills in:
    # (field, the place's CSS size, or "" for one line) pairs.
    reserve: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.drug.id}/{self.lang}/{self.kind}"


@dataclass(frozen=True)
class Geometry:
    """Where things go on the page, in millimetres; the page CSS is made from it."""

    page_css: str
    card_safe_mm: float = 0.0
    bleed_mm: float = 0.0


@dataclass(frozen=True)
class Composed:
    job: Job
    template: str
    localized: Localized
    context: dict = field(hash=False)
    geometry: Geometry = Geometry("")
    qr: QRCode | None = None
    slots: tuple["Composed", ...] = ()  # the cards of a sheet, each in its own language
    paper: Paper | None = None


class FieldMarker:
    """``{{ field("path") }}`` in a template: marks English fallbacks and, on cards, names
    the field, so that the fit check (verify.py) can say which text does not fit.

    Handouts have no such check, and leave the names out: WeasyPrint's HTML parser reads
    attribute values a character at a time, and they were half of a handout's parse time.

    A field printed in English (the source language) is in the source's language and
    direction: in a right-to-left document it reads left to right, its full stop and
    brackets at its own end, whatever the document's direction.
    """

    def __init__(self, fallback: frozenset[str], named: bool):
        self.fallback = fallback
        self.named = named

    def __call__(self, path: str, classes: str = "") -> Markup:
        """The element's attributes: its classes (with "fallback", in English, when the
        field fell back: one class attribute, since a second would be ignored) and, on
        cards, the field's name."""
        attributes = Markup(' data-field="{}"').format(path) if self.named else Markup()
        if path in self.fallback:
            classes = f"{classes} fallback".strip()
            attributes += Markup(' lang="{}" dir="{}"').format(
                SOURCE_LANGUAGE, direction(SOURCE_LANGUAGE)
            )
        if classes:
            attributes += Markup(' class="{}"').format(classes)
        return attributes

    def text(self, path: str, value: str) -> Markup:
        """``{{ field.text("path", value) }}``: text inside a line, in a span only when the
        span has something to say. Every inline box costs WeasyPrint layout time; bare spans
        around list text took a tenth of a handout's layout. English fallback text is also
        isolated, for the line it starts on (see bidi.py)."""
        attributes = self(path)
        if not attributes:
            return escape(value)
        if path in self.fallback:
            value = isolated_as(value, direction(SOURCE_LANGUAGE))
        return Markup("<span{}>{}</span>").format(attributes, value)


def use_job(job: Job) -> None:
    """The languages and fonts of the job's content folder and clinic: in a worker
    process, a job is the first word of them."""
    use_content(job.drug.path.parent.parent, job.clinic.fonts_dir if job.clinic else None)


def compose(job: Job, template_dirs: tuple[Path, ...] = ()) -> Composed:
    use_job(job)
    if job.kind == "card-sheet":
        return _compose_sheet(job, template_dirs)
    if job.kind in (PACKET_LIST, PACKET_CARD):
        return _compose_packet(job, template_dirs)
    localized = localize(job.drug, job.lang, job.allow_fallback, template_dirs)
    context, qr = _context(job, localized)
    if job.kind == "handout":
        return _on_paper(job, "handout.html", localized, context, qr)
    return _on_card(job, "card.html", localized, context, qr)


def _on_paper(job: Job, template: str, localized: Localized, context: dict, qr) -> Composed:
    paper = PAPERS[job.paper]
    counter = _page_counter(localized)
    css = (
        f"@page handout, handout-large {{ size: {paper.css_size}; "
        f"@bottom-right {{ content: {counter} }} }}"
    )
    return Composed(job, template, localized, context, Geometry(css), qr, paper=paper)


def _on_card(job: Job, template: str, localized: Localized, context: dict, qr) -> Composed:
    stock = _stock(job)
    card = stock.card
    context["slot"] = Rect(0, 0, card.width_mm, card.height_mm)
    bleed = f"bleed: {stock.bleed_mm + 7}mm; marks: crop;" if stock.bleed_mm else ""
    css = (
        f"@page card {{ size: {card.width_mm}mm {card.height_mm}mm; {bleed} }}"
        f".card .page {{ width: {card.width_mm}mm; height: {card.height_mm}mm }}"
        f".card .side {{ padding: {card.safe_mm}mm }}"
    )
    return Composed(
        job, template, localized, context, Geometry(css, card.safe_mm, stock.bleed_mm), qr
    )


def _compose_packet(job: Job, template_dirs) -> Composed:
    """A discharge packet's list page or its combined wallet card. Each medicine (a slot)
    is composed as its own handout or card would be, in the packet's language; the page
    around them takes the patient's details and the care team once."""
    card = job.kind == PACKET_CARD
    slots = tuple(
        compose(
            replace(
                job,
                drug=drug,
                lang=lang,
                kind="card" if card else "handout",
                slots=(),
                personal=None,
                reserve=(),
            ),
            template_dirs,
        )
        for drug, lang in job.slots
    )
    localized = slots[0].localized
    context, qr = _context(replace(job, drug=slots[0].job.drug), localized)
    context["medicines"] = [slot.context for slot in slots]
    context["draft"] = any(slot.localized.draft for slot in slots)
    if card:
        context["side_templates"] = ("packet_card_front.html", "packet_card_back.html")
        return replace(_on_card(job, "card.html", localized, context, qr), slots=slots)
    # One wallet card names every medicine, unless they do not fit it (pipeline.py).
    context["one_card"] = job.count <= 1
    return replace(_on_paper(job, "packet.html", localized, context, qr), slots=slots)


def _compose_sheet(job: Job, template_dirs) -> Composed:
    stock = _stock(job)
    try:
        sheet = sheet_for(stock, job.paper)
    except KeyError as error:
        raise HandoutsError(f"{job.name}: {error.args[0]}") from None
    wanted = list(job.slots) or [(job.drug, job.lang)] * (job.count or sheet.capacity)
    if len(wanted) > sheet.capacity:
        raise HandoutsError(
            f"{job.name}: {len(wanted)} cards do not fit one {sheet.name} "
            f"sheet ({sheet.capacity} places); print several sheets"
        )
    slots = tuple(
        compose(
            Job(
                drug,
                lang,
                "card",
                job.paper,
                job.allow_fallback,
                job.stock,
                clinic=job.clinic,
                personal=job.personal,
            ),
            template_dirs,
        )
        for drug, lang in wanted
    )
    if any(s.geometry.bleed_mm for s in slots):
        raise HandoutsError(f"{job.name}: print-shop cards are made one per page")
    card = stock.card
    fronts, backs = sheet.fronts(card)[: len(slots)], sheet.backs(card)[: len(slots)]
    langs = {lang for _, lang in wanted}
    lang = langs.pop() if len(langs) == 1 else "mul"
    drugs = ", ".join(dict.fromkeys(s.context["display_name"] for s in slots))
    context = {
        "lang": lang,
        "dir": direction(lang) if lang != "mul" else "ltr",
        "draft": False,
        "fallback_fields": frozenset(),
        "title": f"Wallet cards: {drugs}",
        "subject": f"{len(slots)} wallet cards on a {sheet.name} sheet",
        "fronts": fronts,
        "backs": backs,
        "crop_marks": _crop_marks(sheet, card) if sheet.crop_marks else [],
        "print_note": PRINT_NOTE,
        "note_top_mm": sheet.height_mm - min(sheet.top_mm, 12.0) + 1.5,
    }
    css = (
        f"@page card {{ size: {sheet.width_mm}mm {sheet.height_mm}mm }}"
        f".card .page {{ width: {sheet.width_mm}mm; height: {sheet.height_mm}mm }}"
        f".card .side {{ padding: {card.safe_mm}mm }}"
    )
    return Composed(
        job,
        "card_sheet.html",
        slots[0].localized,
        context,
        Geometry(css, card.safe_mm),
        slots=slots,
    )


PAGE_LABEL = "Page %(page)s of %(pages)s"


def _page_counter(localized: Localized) -> str:
    """'Page X of Y' as CSS content, in the translator's word order."""
    strings = localized.templates.strings if localized.templates else {}
    label = strings.get((None, PAGE_LABEL), PAGE_LABEL)
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", label):
        if piece in ("%(page)s", "%(pages)s"):
            parts.append(f"counter({piece[2:-2]})")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def _stock(job: Job) -> Stock:
    return STOCKS[job.stock]


def _context(job: Job, localized: Localized) -> tuple[dict, QRCode]:
    drug = localized.drug
    loc = locale(job.lang)
    url = url_of_content(job, drug)
    if job.clinic:
        url = job.clinic.qr_url(job.drug.id, job.lang, drug.content_version, url)
    # The code opens the clinic's web edition (handouts site), not the maker's page.
    site = bool(job.clinic and job.clinic.clinic.qr_base_url)
    fix = "use a shorter address"
    if site and job.clinic:
        fix = (
            f"shorten qr_base_url in {display_path(job.clinic.path)} (the web edition's "
            "address is it followed by /<drug>/<lang>/<version>/)"
        )
    qr = make_qr(url, CARD_QR_MM if job.kind != "handout" else HANDOUT_QR_MM, fix)
    printed = printed_personal(job)
    context = {
        "lang": job.lang,
        "dir": direction(job.lang),
        "draft": localized.draft,
        "fallback_fields": localized.fallback_fields,
        "field": FieldMarker(localized.fallback_fields, named=job.kind != "handout"),
        "drug": drug,
        "drug_id": job.drug.id,
        **names_context(drug, loc),
        "last_reviewed": long_date(drug.last_reviewed, loc),
        "qr": qr,
        "qr_site": site,
        # The printed address's field: the content's, in the language it has (overflow.py
        # names the clinic's qr_base_url instead when the code opens the web edition).
        "url_field": f"full_info_url.{url_language(job, drug)}",
        "large_print": job.large_print,
        "card_font_pt": 8.5,  # the pipeline steps it down if a card side overflows
        "clinic": job.clinic.clinic if job.clinic else None,
        "clinic_logo": job.clinic.logo_data_uri if job.clinic else None,
        "team": _care_team(job),
        "patient_name": printed["patient_name"],
        "start_date": printed["start_date"],
        "reserve": dict(job.reserve),
        "place_image": PLACE_IMAGE,
    }
    context.update({key: Reserved(key) for key, _ in job.reserve if key in context})
    return context, qr


def display_name(drug: Drug) -> str:
    return drug.names.generic[:1].upper() + drug.names.generic[1:]


def names_context(drug: Drug, loc) -> dict:
    """The drug's names as the templates print them, brands with their countries in the
    language's words."""
    brands = sorted({b.name for b in drug.names.brands})
    return {
        "display_name": display_name(drug),
        "brands": brands,
        "brand_countries": {
            name: [
                loc.territories.get(b.country, b.country)
                for b in drug.names.brands
                if b.name == name
            ]
            for name in brands
        },
        # Each printed brand name's field (its first entry), so that a name too long for
        # a card is reported as itself.
        "brand_fields": {
            brand.name: f"names.brands[{i}].name"
            for i, brand in reversed(list(enumerate(drug.names.brands)))
        },
    }


def url_of_content(job: Job, drug: Drug) -> str:
    """The content's own full-information address in the job's language (else English)."""
    return drug.full_info_url[url_language(job, drug)]


def url_language(job: Job, drug: Drug) -> str:
    return job.lang if job.lang in drug.full_info_url else "en"


def printed_personal(job: Job) -> dict[str, str]:
    """The personal fields as the documents print them (the date in the language's words)."""
    personal = job.personal or Personal()
    return {
        "patient_name": personal.patient_name,
        "start_date": (
            long_date(personal.start_date, locale(job.lang)) if personal.start_date else ""
        ),
        "care_team": personal.care_team,
        "phone": personal.phone,
    }


def long_date(date: dt.date, loc) -> str:
    # CLDR puts a narrow no-break space in some dates (ru "2026 г."); not every bundled
    # font has it, and a plain no-break space keeps the words together just as well.
    return format_date(date, "long", locale=loc).replace("\u202f", "\u00a0")


def _care_team(job: Job) -> dict | None:
    """Name and 24-hour phone to print: the nurse's entries, else the clinic's, else None
    (lines to write on)."""
    personal = job.personal or Personal()
    clinic = job.clinic.clinic if job.clinic else None
    name: str | Reserved = personal.care_team or (clinic.name if clinic else "")
    phone: str | Reserved = personal.phone or (clinic.phone_24h if clinic else "")
    reserve = dict(job.reserve)
    if "care_team" in reserve:
        name = Reserved("care_team")
    if "phone" in reserve:
        phone = Reserved("phone")
    return {"name": name, "phone": phone} if name or phone else None


def _crop_marks(sheet: Sheet, card) -> list[Rect]:
    """Short hairlines in line with each card edge, kept out of the cards themselves."""
    marks, gap, length, weight = [], 0.5, 2.5, 0.15
    for rect in sheet.fronts(card):
        for x in (rect.x_mm, rect.x_mm + rect.width_mm):
            marks.append(Rect(x - weight / 2, rect.y_mm - gap - length, weight, length))
            marks.append(Rect(x - weight / 2, rect.y_mm + rect.height_mm + gap, weight, length))
        for y in (rect.y_mm, rect.y_mm + rect.height_mm):
            marks.append(Rect(rect.x_mm - gap - length, y - weight / 2, length, weight))
            marks.append(Rect(rect.x_mm + rect.width_mm + gap, y - weight / 2, length, weight))
    return marks
