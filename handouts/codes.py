"""The codes an EHR knows a medicine by (RxNorm, NDC, ATC): their forms, and finding the
drugs a code names.

An NDC is written in many ways: the label's 10 digits in three hyphenated segments of
4-4-2, 5-3-2 or 5-4-1 digits, or the 11-digit 5-4-2 form billing systems use. They are
kept in the 5-4-2 form (a zero in front of the short segment), so that each code has one
spelling. A product code (labeler and product, no package) is kept as 5-4.
"""

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .content import DrugContent

# HL7 OIDs of the code systems (as Infobutton requests name them) and their FHIR URIs.
RXNORM_OID = "2.16.840.1.113883.6.88"
NDC_OID = "2.16.840.1.113883.6.69"
ATC_OID = "2.16.840.1.113883.6.73"
SYSTEMS = {"rxnorm": RXNORM_OID, "ndc": NDC_OID, "atc": ATC_OID}
FHIR_SYSTEMS = {
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ndc": "http://hl7.org/fhir/sid/ndc",
    "atc": "http://www.whocc.no/atc",
}

RXCUI = re.compile(r"[1-9][0-9]{0,9}")
ATC = re.compile(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}")
# (labeler, product, package) widths of the forms a label may print, and the 11-digit form.
_NDC_FORMS = {(4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)}
_NDC_PRODUCT_FORMS = {(4, 4), (5, 3), (5, 4)}
NDC_HINT = (
    "an NDC as printed on the label, with its hyphens: 4-4-2, 5-3-2 or 5-4-1 digits, or the "
    "11-digit 5-4-2 form (0008-0100-01, 55513-160-01, 55513-0160-01); a product code "
    "without its package: 4-4, 5-3 or 5-4 digits"
)


class CodeError(ValueError):
    """A code that is not in a form its system uses; the message says which forms are."""


def normalize_ndc(value: str) -> str:
    """The NDC in its 5-4-2 form (a product code: 5-4). Raises CodeError."""
    text = value.strip()
    parts = text.split("-")
    if len(parts) == 1 and text.isascii() and text.isdigit() and len(text) == 11:
        parts = [text[:5], text[5:9], text[9:]]
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise CodeError(f"is not {NDC_HINT}")
    widths = tuple(len(part) for part in parts)
    if widths not in _NDC_FORMS | _NDC_PRODUCT_FORMS:
        if len(parts) == 1 and len(text) == 10:
            raise CodeError(
                "is 10 digits without hyphens, which could be any of three NDCs; write "
                "it with its hyphens as the label prints it (4-4-2, 5-3-2 or 5-4-1)"
            )
        raise CodeError(f"is not {NDC_HINT}")
    padded = [parts[0].zfill(5), parts[1].zfill(4)] + (
        [parts[2].zfill(2)] if len(parts) > 2 else []
    )
    return "-".join(padded)


def ndc_product(ndc: str) -> str:
    """The 5-4 product part of a normalized NDC."""
    return "-".join(ndc.split("-")[:2])


def normalize(system: str, value: str) -> str:
    """VALUE as SYSTEM keeps it. Raises CodeError."""
    value = value.strip()
    if system == "ndc":
        return normalize_ndc(value)
    if system == "rxnorm":
        if not RXCUI.fullmatch(value):
            raise CodeError("is not an RxNorm RxCUI: a number of digits, such as 1597256")
        return value
    if system == "atc":
        if not ATC.fullmatch(value.upper()):
            raise CodeError("is not an ATC code of a substance: 7 characters, such as L01FX07")
        return value.upper()
    raise CodeError(f"names no code system this knows; use one of {', '.join(SYSTEMS)}")


def parse_spec(spec: str) -> tuple[str, str]:
    """'rxnorm:NNN' or 'ndc:NNNNN-NNNN-NN' (or 'atc:...') as (system, normalized code)."""
    system, sep, value = spec.partition(":")
    system = system.strip().lower()
    if not sep or system not in SYSTEMS:
        raise CodeError(
            f"is not SYSTEM:CODE with SYSTEM one of {', '.join(SYSTEMS)} "
            "(rxnorm:1597256, ndc:55513-0160-01)"
        )
    return system, normalize(system, value)


def matches(codes: Iterable[str], system: str, code: str) -> bool:
    """Whether a drug's codes of SYSTEM name CODE. NDCs match by their product part
    (labeler and product): the package segment is only the pack size, and a pack the
    content does not list yet is still the same medicine."""
    if system == "ndc":
        return any(ndc_product(own) == ndc_product(code) for own in codes)
    return code in codes


def drugs_with(drugs: Iterable["DrugContent"], system: str, code: str) -> list["DrugContent"]:
    """The drugs whose content lists CODE (normalized) among its SYSTEM codes."""
    return [
        drug
        for drug in drugs
        if drug.drug.codes and matches(getattr(drug.drug.codes, system), system, code)
    ]


def described(drug: "DrugContent") -> str:
    """The drug's codes in one line, as `handouts list` shows them."""
    codes = drug.drug.codes
    if codes is None:
        return "no codes"
    return "; ".join(
        f"{system} {', '.join(values)}" for system in SYSTEMS if (values := getattr(codes, system))
    )
