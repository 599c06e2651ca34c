"""A discharge packet: one PDF of everything a patient goes home with.

Its first page lists the medicines (names, what each treats) and the care team; then
comes each medicine's handout, then the wallet card. One card names every medicine with
its most important warning when they all fit on it; otherwise each medicine has its own
card (pipeline.py decides, by laying the combined card out: a card is never clipped).
"""

from collections.abc import Sequence
from dataclasses import replace

from .clinic import ClinicSettings
from .compose import Job, Personal
from .content import DrugContent
from .documents import DEFAULT_PAPER, DEFAULT_STOCK, PACKET_CARD, PACKET_LIST

# Medicines in one packet at most: a discharge list is rarely longer, and each adds a
# handout of several pages.
MAX_MEDICINES = 12


def packet_jobs(
    drugs: Sequence[DrugContent],
    lang: str,
    paper: str = DEFAULT_PAPER,
    stock: str = DEFAULT_STOCK,
    large_print: bool = False,
    clinic: ClinicSettings | None = None,
    personal: Personal | None = None,
    allow_fallback: bool = False,
) -> list[Job]:
    """The documents of a packet, in print order: the list page, each medicine's handout,
    and the combined wallet card (one medicine: its own card)."""
    base = Job(
        drugs[0],
        lang,
        PACKET_LIST,
        paper,
        allow_fallback,
        stock,
        large_print,
        count=1,
        clinic=clinic,
        slots=tuple((drug, lang) for drug in drugs),
        personal=personal,
    )
    handouts = [replace(base, drug=drug, kind="handout", slots=(), count=0) for drug in drugs]
    if len(drugs) == 1:
        cards = [replace(base, kind="card", slots=(), count=0)]
    else:
        cards = [replace(base, kind=PACKET_CARD, count=0)]
    return [base, *handouts, *cards]


def one_card_each(jobs: list[Job]) -> list[Job]:
    """The same packet with a wallet card for each medicine instead of one naming them
    all; its list page says so."""
    split: list[Job] = []
    for job in jobs:
        if job.kind == PACKET_LIST:
            split.append(replace(job, count=len(job.slots)))
        elif job.kind == PACKET_CARD:
            split += [
                replace(job, drug=drug, lang=lang, kind="card", slots=())
                for drug, lang in job.slots
            ]
        else:
            split.append(job)
    return split
