"""The pipeline for one document (or a few written as one PDF): compose, render HTML, lay
out, verify, write; for a patient's details, draw them into a kept layout (stamp.py).

batch.py runs it for many documents and writes the results.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from . import engine
from .compose import (
    PERSONAL_FIELDS,
    Composed,
    FieldMarker,
    Job,
    Personal,
    Unplaceable,
    compose,
    printed_personal,
    use_job,
)
from .documents import PACKET_CARD
from .errors import RenderError
from .fetcher import LockedFetcher
from .fingerprint import input_hash, shared_inputs
from .fonts import fallback_families
from .languages import SOURCE_LANGUAGE
from .overflow import FieldTooLong, personal_too_long, too_long_on_page
from .packet import one_card_each
from .pdf import Renderer
from .render_html import Environments, render_html
from .stamp import Place, find_places, measure, overlay_html, prepare, shifts, stamp
from .verify import (
    CARD_FONT_SIZES_PT,
    MIN_CARD_FONT_PT,
    CardOverflow,
    LayoutFault,
    check_glyphs,
    check_layout,
    check_pdf,
    check_personal,
    layout_fault,
)

# Layouts kept for personalized requests (stamp.py), per process: each a PDF of tens to
# a few hundred kB; and the laid-out documents they are written from, 1-2 MB each. A
# ward's mix (scripts/loadtest.py) makes more than a hundred (names and care teams of one
# or two lines, in several scripts, on handouts and cards); more kept ones made a server
# grow by a quarter over five minutes for a few per cent less time.
KEPT_LAYOUTS = 64
KEPT_DOCUMENTS = 16
# Documents printed without patient details, whole: the same inputs make the same bytes.
KEPT_PLAIN = 32
log = logging.getLogger("handouts.stamp")


class PacketCardTooFull(Exception):
    """A packet's combined wallet card cannot hold every medicine, even at the smallest
    card text: the packet gets a card for each instead."""


@dataclass(frozen=True)
class Rendered:
    job: Job
    pdf: bytes
    pages: int
    notes: tuple[str, ...] = ()  # advice that does not stop the build


@dataclass(frozen=True)
class Kept:
    """A layout kept for personalized requests: the PDF with empty places, prepared to
    have them filled in (stamp.prepare), and where they are."""

    prepared: bytes
    places: list[Place]
    first: Composed  # the first document, as check_pdf names it
    notes: tuple[str, ...]


class Pipeline:
    """A warm pipeline: Jinja environments and one WeasyPrint renderer, reused."""

    def __init__(self, template_dirs: list[Path] | None = None, renderer: Renderer | None = None):
        """template_dirs: a clinic's folders, searched before the bundled templates. A
        renderer may be shared with another pipeline of the same process (batch.pipeline):
        it holds the fonts and stylesheets, which do not depend on the folders."""
        self.environments = Environments(template_dirs)
        self.fetcher = LockedFetcher(self.environments.template_dirs)
        self.renderer = renderer or Renderer()
        self._kept = _Recent(KEPT_LAYOUTS)  # Kept, or None: not placeable
        self._kept_documents = _Recent(KEPT_DOCUMENTS)
        self._plain = _Recent(KEPT_PLAIN)
        # Packets' combined cards found too full without any details (by input hash): a
        # server meets many combinations of medicines, so only the recent ones are kept.
        self._full_cards = _Recent(KEPT_LAYOUTS)

    def render(self, job: Job) -> Rendered:
        return self.render_together([job])

    def render_together(self, jobs: list[Job], keep_plain: bool = False) -> Rendered:
        """render_together_as_given; a discharge packet whose combined wallet card cannot
        hold every medicine is made with a card for each (packet.py)."""
        split = one_card_each(jobs)
        if split != jobs and any(self._too_full(job) for job in jobs):
            return self.render_together_as_given(split, keep_plain)
        try:
            return self.render_together_as_given(jobs, keep_plain)
        except PacketCardTooFull:
            return self.render_together_as_given(split, keep_plain)

    def _too_full(self, job: Job) -> bool:
        return job.kind == PACKET_CARD and self._input_hash(job) in self._full_cards

    def _input_hash(self, job: Job) -> str:
        shared = shared_inputs(self.environments.template_dirs)
        return input_hash(job, self.environments.template_dirs, shared)

    def render_together_as_given(self, jobs: list[Job], keep_plain: bool = False) -> Rendered:
        """One PDF of one or more documents (the web page's handout and card behind one
        Print button). Each is laid out and checked on its own; the pages are then written
        together, so the PDF has one tag tree over all of them.

        A patient's details are drawn into a kept layout when they fit it (stamp.py).
        keep_plain: documents without details are kept whole, and given again while
        their inputs are unchanged (the web server, which prints the same ones often)."""
        use_job(jobs[0])
        personal = jobs[0].personal
        if (
            personal
            and personal.filled()
            and all(job.personal == personal and job.kind != "card-sheet" for job in jobs)
        ):
            stamped = self._stamped(jobs)
            if stamped is not None:
                return stamped
            try:
                return self.lay_out_and_write(jobs)
            except PacketCardTooFull:
                raise
            except (CardOverflow, LayoutFault, FieldTooLong) as error:
                # Said of the content, this would send the nurse to the wrong place.
                raise self._personal_cause(jobs, error) from None
        if keep_plain and all(job.personal is None or not job.personal.filled() for job in jobs):
            return self._without_details(jobs)
        return self.lay_out_and_write(jobs)

    def _without_details(self, jobs: list[Job]) -> Rendered:
        """Documents without patient details, kept while their inputs are unchanged: a
        ward prints the same few again and again."""
        shared = shared_inputs(self.environments.template_dirs)
        key = tuple(input_hash(job, self.environments.template_dirs, shared) for job in jobs)
        if key not in self._plain:
            return self._plain.keep(key, self.lay_out_and_write(jobs))
        return self._plain.recall(key)

    def lay_out_and_write(self, jobs: list[Job]) -> Rendered:
        """render_together, with every document laid out in full."""
        return self._write([self._lay_out(job) for job in jobs])[0]

    def check(self, job: Job) -> list[str]:
        """Lay one document out and run every check build runs on it before writing
        (`handouts check`); nothing is written. Returns the advisory notes."""
        return self._lay_out(job)[2]

    def _write(self, laid_out: list) -> tuple[Rendered, Composed]:
        pdf = self.renderer.write([(composed, document) for composed, document, _ in laid_out])
        first = laid_out[0][0]
        pages = check_pdf(first, pdf)
        notes = tuple(note for _, _, notes in laid_out for note in notes)
        return Rendered(first.job, pdf, pages, notes), first

    def _stamped(self, jobs: list[Job]) -> Rendered | None:
        """The documents with the patient's details drawn into a kept layout, or None when
        they cannot be (a detail runs past its paragraph, a template prints one itself) or
        drawing them in fails in any way: the whole layout prints them then."""
        values = {key: value for key, value in printed_personal(jobs[0]).items() if value}
        check_personal(jobs, values)  # the user's to fix: raised, never laid out whole
        try:
            return self._draw_in(jobs, values)
        except PacketCardTooFull:
            raise  # the packet is made again, with a card for each medicine
        except Exception as error:  # whatever fails, the whole layout prints
            # Only the type: a message may hold the patient's details.
            log.warning(
                "details not drawn into a kept layout (%s); laid out whole", type(error).__name__
            )
            return None

    def _draw_in(self, jobs: list[Job], values: dict[str, str]) -> Rendered | None:
        shared = shared_inputs(self.environments.template_dirs)
        inputs = [input_hash(job, self.environments.template_dirs, shared) for job in jobs]
        # Where each paragraph is and how it is styled is the same whatever its place's
        # height, so a layout with one-line places gives what the details are laid out
        # in; the layout to draw into has places as high as those details then are.
        one_line = self._kept_layout(jobs, inputs, [{key: "" for key in values}] * len(jobs))
        if one_line is None:
            return None
        overlay = self._overlay(one_line.places, values, jobs[0])
        filled = measure(one_line.places, overlay)
        if not all(value.fits for value in filled):
            return None
        kept, moves = one_line, shifts(one_line.places, one_line.places, filled)
        if moves is None:  # a value takes more lines, or a taller line, than one
            reserve: list[dict[str, str]] = [{} for _ in jobs]
            for place, value in zip(one_line.places, filled, strict=True):
                reserve[place.document][place.key] = value.reserve(place)
            taller = self._kept_layout(jobs, inputs, reserve)
            if taller is None:
                return None
            kept, moves = taller, shifts(taller.places, one_line.places, filled)
            if moves is None:
                return None
        pdf = stamp(kept.prepared, kept.places, overlay.write_pdf(), moves)
        return Rendered(jobs[0], pdf, check_pdf(kept.first, pdf), kept.notes)

    def _overlay(self, places: list[Place], values: dict[str, str], job: Job):
        # The kept layout names its own text's fonts; the values may need others.
        fallback = fallback_families("".join(values.values()), (job.lang, SOURCE_LANGUAGE))
        html = overlay_html(places, values, job.lang, fallback)
        overlay, warnings = self.renderer.layout_overlay(html)
        if warnings:
            raise RenderError(f"{job.name}: WeasyPrint reported: " + "; ".join(warnings))
        return overlay

    def _personal_cause(self, jobs: list[Job], error: RenderError) -> RenderError:
        """For documents that do not fit once a patient's details are in them: the detail
        that makes one not fit, and how many of its characters do, found by laying the
        document out again with the details added one by one and, for that one, with
        ever longer beginnings of it. The content's own error when the documents do not
        fit without the details either, or when no single detail is found at fault."""
        try:
            for job in jobs:
                personal = job.personal or Personal()
                if not self._fits(replace(job, personal=None)):
                    return error
                given: dict = {}
                for key in PERSONAL_FIELDS:
                    value = getattr(personal, key)
                    if not value:
                        continue
                    if self._fits(replace(job, personal=Personal(**{**given, key: value}))):
                        given[key] = value
                        continue
                    if not isinstance(value, str):  # a date: its words are the language's
                        return personal_too_long(job, key, None)
                    fit, over = 0, len(value)  # the first `fit` characters fit; `over` do not
                    while over - fit > 1:
                        middle = (fit + over) // 2
                        trial = Personal(**{**given, key: value[:middle]})
                        if self._fits(replace(job, personal=trial)):
                            fit = middle
                        else:
                            over = middle
                    return personal_too_long(job, key, fit)
        except Exception as other:  # noqa: BLE001 (the first error is the one to report)
            log.warning("no detail found at fault (%s)", type(other).__name__)
        return error

    def _fits(self, job: Job) -> bool:
        """Whether a document passes its layout checks (a card at its smallest text)."""
        composed = compose(job, self.environments.template_dirs)
        composed.context["card_font_pt"] = MIN_CARD_FONT_PT
        html, _ = render_html(self.environments, composed)
        document, warnings = self._layout(composed, html)
        try:
            check_layout(composed, document, warnings)
        except (CardOverflow, LayoutFault):
            return False
        return True

    def _kept_layout(
        self, jobs: list[Job], inputs: list[str], reserve: list[dict[str, str]]
    ) -> "Kept | None":
        """The documents laid out with an empty place for each field in reserve, styled as
        it says; made on first use and kept while their inputs (input_hash) are unchanged.
        It holds no patient data. None if a template prints a field other than in its
        place."""
        reserved = [
            replace(job, personal=None, reserve=tuple(sorted(shape.items())))
            for job, shape in zip(jobs, reserve, strict=True)
        ]
        key = tuple(zip(inputs, (job.reserve for job in reserved), strict=True))
        if key in self._kept:
            return self._kept.recall(key)
        try:
            laid_out = [
                self._kept_document(job, inputs_)
                for job, inputs_ in zip(reserved, inputs, strict=True)
            ]
            places = find_places([document for _, document, _ in laid_out])
            wanted = [(number, key) for number, shape in enumerate(reserve) for key in shape]
            if sorted((place.document, place.key) for place in places) != sorted(wanted):
                raise Unplaceable("a template prints a field without its place")
            rendered, first = self._write(laid_out)
            prepared = prepare(rendered.pdf, places)
        except Unplaceable:
            return self._kept.keep(key, None)  # not tried again while inputs hold
        return self._kept.keep(key, Kept(prepared, places, first, rendered.notes))

    def _kept_document(self, job: Job, inputs: str):
        """One document of a kept layout, laid out: a new combination of place heights
        lays out again only the documents whose places changed."""
        key = (inputs, job.reserve)
        if key in self._kept_documents:
            return self._kept_documents.recall(key)
        return self._kept_documents.keep(key, self._lay_out(job))

    def _lay_out(self, job: Job) -> tuple[Composed, object, list[str]]:
        composed = compose(job, self.environments.template_dirs)
        if job.kind == "card":
            return self._fit(composed)
        if job.kind == PACKET_CARD:
            try:
                return self._fit(composed)
            except CardOverflow:
                if not job.reserve and not (job.personal and job.personal.filled()):
                    self._full_cards.keep(self._input_hash(job), True)
                raise PacketCardTooFull from None
        if job.kind == "card-sheet":
            fitted = {}
            for slot in composed.slots:
                key = (slot.job.drug.id, slot.job.lang)
                if key not in fitted:
                    self._fit(slot)  # sets the slot's card_font_pt
                    fitted[key] = slot.context["card_font_pt"]
                slot.context["card_font_pt"] = fitted[key]
        return self._check(composed)

    def _fit(self, composed: Composed):
        """Card text steps down in size until every side fits; it never goes below
        the smallest readable size."""
        for size in CARD_FONT_SIZES_PT:
            composed.context["card_font_pt"] = size
            try:
                return self._check(composed)
            except CardOverflow:
                if size == MIN_CARD_FONT_PT:
                    raise

    def _layout(self, composed: Composed, html: str):
        """(document, warnings): the HTML laid out in the fonts of the document's languages
        and those its text needs."""
        return self.renderer.layout(
            composed, html, self.fetcher, fallback_families(html, _languages(composed))
        )

    def _check(self, composed: Composed):
        """HTML, glyph check, layout and layout checks: (composed, document, notes)."""
        html, parts = render_html(self.environments, composed)
        check_glyphs(parts)
        document, warnings = self._layout(composed, html)
        try:
            return composed, document, check_layout(composed, document, warnings)
        except LayoutFault as fault:
            raise self._cause(composed, fault) from None

    def _cause(self, composed: Composed, fault: LayoutFault) -> RenderError:
        """The field behind a line off its page or over another, if a field is: the
        document laid out again with its fields named (handouts leave the names out, for
        speed), the same check finding the same fault there."""
        named = replace(
            composed,
            context={
                **composed.context,
                "field": FieldMarker(composed.localized.fallback_fields, named=True),
            },
        )
        html, _ = render_html(self.environments, named)
        document, _ = self._layout(named, html)
        if fault.page > len(document.pages):
            return fault
        page_box = engine.page_box(document.pages[fault.page - 1])
        found = layout_fault(page_box)
        cause = found and too_long_on_page(named, page_box, fault.page, found[1])
        return cause or fault


class _Recent(OrderedDict):
    """The most recently used entries, at most limit of them."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def recall(self, key):
        self.move_to_end(key)
        return self[key]

    def keep(self, key, value):
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)
        return value


def _languages(composed: Composed) -> set[str]:
    """The languages whose fonts a document's text is set in: its own (each card's, on a
    sheet), and English where a field fell back to it."""
    parts = [composed, *composed.slots]
    langs = {part.job.lang for part in parts}
    if any(part.localized.fallback_fields for part in parts):
        langs.add(SOURCE_LANGUAGE)
    return langs
