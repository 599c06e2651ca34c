"""What the web page and the HTTP API accept: one declared model, strict limits.

Nothing is coerced: a flag is true or false, text is text, a date is "YYYY-MM-DD". A
request is refused whole, with one message naming each field at fault.

Personalization is protected health information: these checks never echo its values,
nor any of their characters or code points.
"""

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from .compose import PERSONAL_FIELDS
from .documents import ALL_KINDS, PAPERS
from .packet import MAX_MEDICINES
from .stocks import STOCKS

# A request is an object holding at most a list or an object: anything deeper is not one,
# and Python's JSON reader would recurse once per level.
MAX_JSON_DEPTH = 4
# Invisible, control and line-breaking characters could hide or reorder text (bidi
# overrides and isolates, zero-width characters); private-use and unassigned ones print
# nothing a reader can rely on.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
_UNPRINTABLE = {"Co", "Cn"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


class BadRequest(ValueError):
    """A request body that is not what the API accepts; the message is safe to show."""


def _printable(value: str) -> str:
    categories = {unicodedata.category(ch) for ch in value}
    if categories & _INVISIBLE:
        raise ValueError(
            "has a control, invisible or direction-changing character (a pasted line "
            "break or formatting mark); retype it"
        )
    if categories & _UNPRINTABLE:
        raise ValueError(
            "a character in it cannot be printed (private-use or unassigned); retype it "
            "or leave it out"
        )
    return value


def _iso_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError('must be a date written as "YYYY-MM-DD"')
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError('is not a real date; write it as "YYYY-MM-DD"') from None


def _plausible_date(value: dt.date) -> dt.date:
    if not dt.date(2000, 1, 1) <= value <= dt.date.today() + dt.timedelta(days=3 * 365):
        raise ValueError("is not a plausible treatment start date")
    return value


def _phone(value: str) -> str:
    if value and not all(ch in "0123456789 +()-./x" for ch in value):
        raise ValueError("may hold only digits, spaces and + ( ) - . / x")
    return value


def _once_each(what: str) -> AfterValidator:
    def check(values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError(f"name each {what} once")
        return values

    return AfterValidator(check)


# One printable line of at most 80 (40) characters.
Line80 = Annotated[str, StringConstraints(max_length=80), AfterValidator(_printable)]
Line40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(_printable)]


class Personalization(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    patient_name: Line80 = ""
    care_team: Line80 = ""
    phone: Annotated[Line40, AfterValidator(_phone)] = ""
    # Read from its string here, so that strict mode sees a date (and no number or
    # timestamp passes for one).
    start_date: Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_plausible_date)] | (
        None
    ) = None


DrugId = Annotated[str, Field(max_length=100)]


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # One medicine ("drug"), or a discharge packet of several ("drugs", packet.py).
    drug: DrugId | None = None
    drugs: (
        Annotated[
            list[DrugId],
            Field(min_length=1, max_length=MAX_MEDICINES),
            _once_each("medicine"),
        ]
        | None
    ) = None
    lang: Annotated[str, Field(max_length=20)] = "en"
    # Literals made from the registries: pydantic reads them (and lists the values in its
    # messages); a static type checker cannot.
    kinds: Annotated[
        list[Literal[ALL_KINDS[:2]]],  # type: ignore[valid-type]
        Field(min_length=1, max_length=2),
        _once_each("kind"),
    ] = ["handout"]
    paper: Literal[tuple(PAPERS)] = "letter"  # type: ignore[valid-type]
    stock: Literal[tuple(s for s in STOCKS if s != "print-shop")] = "us-business"  # type: ignore[valid-type]
    large_print: bool = False
    personalization: Personalization = Personalization()
    # The FHIR record's subject (Accept: application/fhir+json): "Patient/<id>" only.
    patient_reference: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def one_way_of_naming_drugs(self) -> "DocumentRequest":
        if (self.drug is None) == (self.drugs is None):
            raise ValueError(
                'give "drug" (one medicine) or "drugs" (a list: one discharge packet), not both'
                if self.drug is not None
                else 'give "drug" (one medicine) or "drugs" (a list: one discharge packet)'
            )
        if self.drugs is not None and "kinds" in self.model_fields_set:
            raise ValueError(
                'leave "kinds" out with "drugs": a packet always has a list page, each '
                "medicine's handout and the wallet card"
            )
        return self

    @property
    def medicines(self) -> list[str]:
        return self.drugs if self.drugs is not None else [self.drug or ""]


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, read within bounds: not nested deeper than a
    request is, no key twice, no NaN or Infinity."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text; send JSON encoded as UTF-8") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise BadRequest(
            f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep; a request is one "
            "object (see the README, HTTP API)"
        )
    try:
        value = json.loads(text, object_pairs_hook=_no_repeated_keys, parse_constant=_no_constant)
    except BadRequest:
        raise
    except ValueError as error:  # JSONDecodeError: its message quotes no input
        where = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise BadRequest(
            f"the body is not valid JSON (line {where[0]}, column {where[1]}); send a JSON object"
        ) from None
    if not isinstance(value, dict):
        raise BadRequest('the body must be a JSON object ({...}) with at least "drug" or "drugs"')
    return value


def _depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, brackets inside strings aside."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BadRequest("a key appears twice in one JSON object; give each field once")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a number JSON allows; send numbers as numbers")


FORM_FIELDS = ("drug", "lang", "kinds", "paper", "stock", "large_print", *PERSONAL_FIELDS)
_FORM_KINDS = {"handout": ["handout"], "card": ["card"], "both": ["handout", "card"]}


def form_request(form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The page's form as the API's request body, as strictly: each field once, known
    fields only, a checkbox "on" or absent, kinds one of the page's three choices. Empty
    fields are left out, as the page sends them."""
    unknown = sorted(key for key in form if key not in FORM_FIELDS)
    if unknown:
        shown = ", ".join(key if _KEY.fullmatch(key) else "(a field)" for key in unknown[:3])
        raise BadRequest(f"unknown form field {shown}; the form sends {', '.join(FORM_FIELDS)}")
    # Several medicines chosen make a discharge packet; every other field comes once.
    repeated = [key for key in FORM_FIELDS if key != "drug" and len(form.get(key, [])) > 1]
    if repeated:
        raise BadRequest(f"{repeated[0]}: given more than once; give each field once")
    value = {key: values[0] for key, values in form.items()}
    body: dict[str, Any] = {key: value[key] for key in ("lang", "paper", "stock") if key in value}
    drugs = form.get("drug", [])
    kinds = value.get("kinds", "handout")
    if kinds not in _FORM_KINDS:
        raise BadRequest(f"kinds: must be one of {', '.join(_FORM_KINDS)}")
    if len(drugs) > 1:
        body["drugs"] = list(drugs)
    else:
        body["drug"] = drugs[0] if drugs else ""
        body["kinds"] = _FORM_KINDS[kinds]
    large_print = value.get("large_print")
    if large_print not in (None, "on"):
        raise BadRequest('large_print: a checkbox is "on" or left out')
    body["large_print"] = large_print == "on"
    body["personalization"] = {key: value[key] for key in PERSONAL_FIELDS if value.get(key)}
    return body


def describe_errors(error: ValidationError) -> str:
    """One line per problem, naming the field; input values are never repeated."""
    lines = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        # A key the request made up is named only if it looks like a field name.
        where = ".".join(
            str(part) if isinstance(part, int) or _KEY.fullmatch(part) else "(a key)"
            for part in item["loc"]
        )
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def mentions(text: str, values: list[str], span: int = 4) -> bool:
    """Whether text holds any of the values, a piece of one of `span` characters or more,
    or the code point (U+XXXX) of one of their characters: a last check on a message
    before it leaves the service."""
    for value in values:
        if 0 < len(value) < span and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text):
            return True
        if any(value[i : i + span] in text for i in range(len(value) - span + 1)):
            return True
        if any(f"U+{ord(ch):04X}" in text.upper() for ch in value if not ch.isspace()):
            return True
    return False
