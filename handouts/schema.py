"""The declared shape of ``content/<drug>/drug.yaml``, the English master.

Strict on purpose: YAML silently turns ``NO`` into False and ``1.10`` into a float, so text
fields accept only text, and unknown keys are errors (a misspelt key would otherwise drop a
warning without a word).
"""

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from .codes import CodeError, normalize

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
NonEmpty = Field(min_length=1)
SOURCE_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def _iso_date(value):
    # PyYAML turns an unquoted 2026-01-31 into a date; accept the quoted form too.
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a valid date; write it as YYYY-MM-DD") from None
    return value


def _https(value: str) -> str:
    if not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
        raise ValueError(
            "must be a full https:// address (plain http and other schemes are not allowed)"
        )
    return value


def _code(system: str):
    def check(value: str) -> str:
        try:
            return normalize(system, value)
        except CodeError as error:
            raise ValueError(f"{value!r} {error}") from None

    return AfterValidator(check)


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
HttpsUrl = Annotated[Text, AfterValidator(_https)]
SourceIds = Annotated[list[Annotated[Text, StringConstraints(pattern=SOURCE_ID)]], NonEmpty]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Brand(Model):
    country: Annotated[Text, StringConstraints(pattern=r"^([A-Z]{2})$")]
    name: Text


class Names(Model):
    generic: Text
    pronunciation: Text
    brands: Annotated[list[Brand], NonEmpty]


class ListWithNote(Model):
    items: Annotated[list[Text], NonEmpty]
    note: Text


class HowItWorks(Model):
    summary: Text
    points: Annotated[list[Text], NonEmpty]


class BoxedWarning(Model):
    title: Text
    text: Text
    symptoms: Annotated[list[Text], NonEmpty]
    sources: SourceIds


class SymptomGroup(Model):
    title: Text
    symptoms: Annotated[list[Text], NonEmpty]
    sources: SourceIds


class Reminder(Model):
    title: Text
    text: Text


class Frequency(StrEnum):
    very_common = "very_common"
    common = "common"
    uncommon = "uncommon"
    not_known = "not_known"


class FrequencyGroup(Model):
    # Enum values come from YAML as strings; accept them despite strict mode.
    frequency: Annotated[Frequency, Field(strict=False)]
    effects: Annotated[list[Text], NonEmpty]
    sources: SourceIds


class Card(Model):
    warnings: Annotated[list[Text], Field(min_length=1, max_length=4)]
    note: Text


class Source(Model):
    id: Annotated[Text, StringConstraints(pattern=SOURCE_ID)]
    title: Text
    publisher: Text
    url: HttpsUrl | None = None
    date: Date | None = None
    # For a page that carries no date of its own: the day its copy was read.
    accessed: Date | None = None


class IntendedRepeat(Model):
    sign: Text
    reason: Text


VERSION = r"^\d+(\.\d+){0,2}$"


class Change(Model):
    """One content version: its date and, in plain words, what changed for patients. The web
    edition shows these to a patient whose paper was printed from an earlier version."""

    version: Annotated[Text, StringConstraints(pattern=VERSION)]
    date: Date
    items: Annotated[list[Text], NonEmpty]


def _once(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("a code is listed twice; list each once")
    return values


class Codes(Model):
    """What an EHR knows the medicine by: look-up by code (build --code, /infobutton, the
    EHR launch) and the FHIR record. Never printed, never translated."""

    # Ingredient RxCUIs (term type IN); products and packages are found by NDC.
    rxnorm: Annotated[list[Annotated[Text, _code("rxnorm")]], AfterValidator(_once)] = Field(
        default_factory=list
    )
    ndc: Annotated[list[Annotated[Text, _code("ndc")]], AfterValidator(_once)] = Field(
        default_factory=list
    )
    atc: Annotated[list[Annotated[Text, _code("atc")]], AfterValidator(_once)] = Field(
        default_factory=list
    )
    # Where the codes were read: a wrong code opens another medicine's leaflet. Kept here,
    # not under the drug's sources, which the handout prints.
    sources: Annotated[list[Source], NonEmpty]


class Drug(Model):
    content_version: Annotated[Text, StringConstraints(pattern=VERSION)]
    last_reviewed: Date
    names: Names
    summary: Text
    treats: ListWithNote
    how_it_works: HowItWorks
    boxed_warnings: Annotated[list[BoxedWarning], NonEmpty]
    call_right_away: Annotated[list[SymptomGroup], NonEmpty]
    safety_reminders: Annotated[list[Reminder], NonEmpty]
    common_side_effects: ListWithNote
    side_effects_by_frequency: list[FrequencyGroup]
    card: Card
    full_info_url: Annotated[
        dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")], HttpsUrl],
        NonEmpty,
    ]
    sources: Annotated[list[Source], NonEmpty]
    # Oldest first; the last is the content_version. Optional: content written before
    # versions were recorded has only its current version.
    changes: list[Change] = Field(default_factory=list)
    codes: Codes | None = None
    # For the writer and `handouts check` only: never translated, never printed.
    terms: list[Text] = Field(default_factory=list)
    intended_repeats: list[IntendedRepeat] = Field(default_factory=list)
