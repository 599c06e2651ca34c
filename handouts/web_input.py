"""What the web page and the HTTP API accept: one declared model, strict limits.

Personalization is protected health information; these checks never echo its values.
"""

import datetime as dt
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from .documents import ALL_KINDS, PAPERS
from .stocks import STOCKS

# Characters that could reorder or hide text (bidi overrides and isolates, zero-width
# and other format characters) or break lines are refused; so are control characters.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}


def _printable(value: str) -> str:
    for ch in value:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise ValueError(
                f"contains the character U+{ord(ch):04X}, which is not printable "
                "text (control, invisible or direction-changing); retype it"
            )
    return value.strip()


def _plausible_date(value: dt.date) -> dt.date:
    if not dt.date(2000, 1, 1) <= value <= dt.date.today() + dt.timedelta(days=3 * 365):
        raise ValueError("is not a plausible treatment start date")
    return value


def _phone(value: str) -> str:
    if value and not all(ch.isdigit() or ch in " +()-./x" for ch in value):
        raise ValueError("may hold only digits, spaces and + ( ) - . / x")
    return value


# One printable line of at most 80 (40) characters.
Line80 = Annotated[str, StringConstraints(max_length=80), AfterValidator(_printable)]
Line40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(_printable)]


class Personalization(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    patient_name: Line80 = ""
    care_team: Line80 = ""
    phone: Annotated[Line40, AfterValidator(_phone)] = ""
    start_date: Annotated[dt.date, AfterValidator(_plausible_date)] | None = None


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drug: Annotated[str, Field(max_length=100)]
    lang: Annotated[str, Field(max_length=20)] = "en"
    # Literals made from the registries: pydantic reads them (and lists the values in its
    # messages); a static type checker cannot.
    kinds: Annotated[
        list[Literal[ALL_KINDS[:2]]],  # type: ignore[valid-type]
        Field(min_length=1, max_length=2),
    ] = ["handout"]
    paper: Literal[tuple(PAPERS)] = "letter"  # type: ignore[valid-type]
    stock: Literal[tuple(s for s in STOCKS if s != "print-shop")] = "us-business"  # type: ignore[valid-type]
    large_print: bool = False
    personalization: Personalization = Personalization()


def describe_errors(error: ValidationError) -> str:
    """One line per problem, naming the field; input values are never repeated."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
