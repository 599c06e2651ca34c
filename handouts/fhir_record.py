"""A FHIR R4 DocumentReference for the PDFs given to a patient, for an EHR to file.

The record may hold protected health information (a stamped PDF, the patient reference):
nothing here logs it, reprs it or puts it in an error message.
"""

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .codes import FHIR_SYSTEMS
from .schema import Codes

LOINC = "http://loinc.org"
# LOINC 34895-3 "Education note": the type IHE and C-CDA value sets use for patient education.
EDUCATION_NOTE = {"system": LOINC, "code": "34895-3", "display": "Education note"}
_FHIR_ID = r"[A-Za-z0-9\-.]{1,64}"  # the R4 datatype "id"
# Relative, or absolute on an https FHIR server (ASCII host, optional port, plain base path).
_PATIENT = re.compile(
    rf"Patient/{_FHIR_ID}"
    rf"|https://[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?(?::[0-9]{{1,5}})?"
    rf"(?:/[A-Za-z0-9\-._~]+)*/Patient/{_FHIR_ID}"
)
PATIENT_HINT = (
    "the patient reference must be Patient/<id> (an id of 1 to 64 letters, digits, '-' and "
    "'.') or an https URL ending in /Patient/<id>"
)


class RecordError(RuntimeError):
    """The record built was refused by the FHIR models: a bug here, not the user's input."""


@dataclass(frozen=True)
class PdfFile:
    """One PDF to attach. repr() leaves out the bytes: a stamped PDF names the patient."""

    title: str
    data: bytes = field(repr=False)


def patient_reference(value: str) -> str:
    """VALUE if it is a reference to a Patient. Raises ValueError, whose message does not
    repeat VALUE (it identifies a patient)."""
    if not _PATIENT.fullmatch(value):
        raise ValueError(PATIENT_HINT)
    return value


def _instant(when: dt.datetime) -> str:
    if when.utcoffset() is None:
        raise ValueError("the time of a FHIR record must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attachment(pdf: PdfFile, lang: str, created: str) -> dict[str, Any]:
    return {
        "contentType": "application/pdf",
        "language": lang,
        "data": base64.b64encode(pdf.data).decode("ascii"),
        "size": len(pdf.data),
        # FHIR R4 Attachment.hash is the base64 of the data's SHA-1 digest.
        "hash": base64.b64encode(hashlib.sha1(pdf.data).digest()).decode("ascii"),
        "title": pdf.title,
        "creation": created,
    }


def _medication(index: int, generic: str, codes: Codes | None) -> dict[str, Any]:
    # NDCs go as the content keeps them (5-4-2, hyphenated), as US Core's NDC value sets
    # write them; the label's 10-digit form HL7's NDC page names cannot be recovered.
    systems = {"rxnorm": codes.rxnorm, "ndc": codes.ndc, "atc": codes.atc} if codes else {}
    coding = [
        {"system": FHIR_SYSTEMS[system], "code": code}
        for system, values in systems.items()
        for code in values
    ]
    concept: dict[str, Any] = {"coding": coding, "text": generic} if coding else {"text": generic}
    return {"resourceType": "Medication", "id": f"medication-{index}", "code": concept}


def document_reference(
    documents: Sequence[PdfFile],
    *,
    lang: str,
    medicines: Sequence[tuple[str, Codes | None]],
    reviewed: bool,
    when: dt.datetime,
    subject: str | None,
    title: str,
) -> dict[str, Any]:
    """A JSON-ready FHIR R4 DocumentReference holding DOCUMENTS (in language LANG) about
    MEDICINES (generic name and codes), validated by the fhir.resources R4B models.

    reviewed: the translation has had its clinical review; otherwise the record says the
    documents are preliminary. subject: a Patient reference (see patient_reference)."""
    if not documents:
        raise ValueError("a DocumentReference needs at least one document")
    created = _instant(when)
    record: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final" if reviewed else "preliminary",
        "type": {"coding": [EDUCATION_NOTE], "text": "Patient education handout"},
        # No standard code fits; text alone makes no claim about a code system.
        "category": [{"text": "Patient education"}],
        "date": created,
        "description": title,
        "content": [{"attachment": _attachment(pdf, lang, created)} for pdf in documents],
    }
    if subject is not None:
        record["subject"] = {"reference": patient_reference(subject)}
    # Each medicine is a contained Medication with its codes in Medication.code, referred to
    # from context.related. A code names a concept, not a resource, so it is no
    # Reference.identifier; context.event is for clinical acts (a procedure), not a drug.
    if medicines:
        contained = [_medication(i, *medicine) for i, medicine in enumerate(medicines, 1)]
        record["contained"] = contained
        record["context"] = {
            "related": [
                {"reference": f"#{m['id']}", "display": m["code"]["text"]} for m in contained
            ]
        }
    _validate(record)
    return record


def _validate(record: dict[str, Any]) -> None:
    # Imported here: the models take a moment to load, and the command line never needs them.
    from fhir.resources.R4B.documentreference import DocumentReference
    from pydantic import ValidationError

    try:
        DocumentReference.model_validate(record)
    except ValidationError as error:
        # Where and which rule only: the refused values may be a patient's.
        where = "; ".join(
            f"{'.'.join(map(str, e['loc']))} ({e['type']})"
            for e in error.errors(include_input=False, include_url=False)
        )
        raise RecordError(f"the FHIR DocumentReference made is not valid: {where}") from None
