"""The FHIR R4 DocumentReference made for the PDFs a patient is given: valid by the R4B
models, the PDFs exact, every code of every medicine present, the patient reference strict
and never repeated in an error."""

import base64
import datetime as dt
import hashlib
import json
import subprocess
import sys

import pytest
from fhir.resources.R4B.documentreference import DocumentReference
from hypothesis import given, settings
from hypothesis import strategies as st

from handouts.codes import FHIR_SYSTEMS
from handouts.fhir_record import (
    PATIENT_HINT,
    PdfFile,
    RecordError,
    document_reference,
    patient_reference,
)

from .conftest import REPOSITORY

WHEN = dt.datetime(2026, 10, 7, 14, 30, 5, 123456, tzinfo=dt.UTC)
# Every byte value, so that base64 of anything but the exact bytes would show.
HANDOUT = PdfFile("Blinatumomab: what you need to know", b"%PDF-1.7\n" + bytes(range(256)))
CARD = PdfFile("Inotuzumab ozogamicin wallet card", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%%EOF\n")


def medicines(drugs):
    return [(d.drug.names.generic, d.drug.codes) for d in drugs]


def record(drugs, **changes):
    arguments = {
        "lang": "es",
        "medicines": medicines(drugs),
        "reviewed": False,
        "when": WHEN,
        "subject": None,
        "title": "Patient education: blinatumomab, inotuzumab ozogamicin",
    }
    return document_reference([HANDOUT, CARD], **(arguments | changes))


def test_record_is_a_valid_r4_document_reference_and_json_ready(drugs):
    made = record(drugs, subject="Patient/example-1")
    model = DocumentReference.model_validate(made)
    # The models keep every element given, unchanged: nothing was dropped or reinterpreted.
    assert json.loads(model.model_dump_json()) == json.loads(json.dumps(made))
    assert made["resourceType"] == "DocumentReference"
    assert made["status"] == "current"
    assert made["type"]["coding"] == [
        {"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}
    ]
    assert made["category"] == [{"text": "Patient education"}]
    assert made["date"] == "2026-10-07T14:30:05Z"
    assert made["description"] == "Patient education: blinatumomab, inotuzumab ozogamicin"


def test_each_pdf_is_attached_exactly(drugs):
    made = record(drugs)
    attachments = [content["attachment"] for content in made["content"]]
    assert len(attachments) == 2
    for pdf, attachment in zip([HANDOUT, CARD], attachments, strict=True):
        assert base64.b64decode(attachment["data"], validate=True) == pdf.data
        assert attachment["size"] == len(pdf.data)
        assert base64.b64decode(attachment["hash"]) == hashlib.sha1(pdf.data).digest()
        assert attachment["contentType"] == "application/pdf"
        assert attachment["language"] == "es"
        assert attachment["title"] == pdf.title
        assert attachment["creation"] == made["date"]
    model = DocumentReference.model_validate(made)
    assert [c.attachment.data for c in model.content] == [HANDOUT.data, CARD.data]
    assert "PDF" not in repr(HANDOUT)  # a stamped PDF names the patient


@pytest.mark.parametrize("lang", ["es", "zh-Hans", "en"])
def test_the_language_is_the_bcp47_tag(drugs, lang):
    made = record(drugs, lang=lang)
    assert {c["attachment"]["language"] for c in made["content"]} == {lang}


@pytest.mark.parametrize(("reviewed", "status"), [(True, "final"), (False, "preliminary")])
def test_doc_status_says_whether_the_translation_was_reviewed(drugs, reviewed, status):
    assert record(drugs, reviewed=reviewed)["docStatus"] == status


def test_every_code_of_every_medicine_is_in_its_contained_medication(drugs):
    made = record(drugs)
    contained = {resource["id"]: resource for resource in made["contained"]}
    related = made["context"]["related"]
    assert [r["display"] for r in related] == ["blinatumomab", "inotuzumab ozogamicin"]
    for drug, reference in zip(drugs, related, strict=True):
        medication = contained[reference["reference"].removeprefix("#")]
        assert medication["resourceType"] == "Medication"
        assert medication["code"]["text"] == drug.drug.names.generic
        codes = drug.drug.codes
        expected = [
            (FHIR_SYSTEMS[system], code)
            for system, values in (("rxnorm", codes.rxnorm), ("ndc", codes.ndc), ("atc", codes.atc))
            for code in values
        ]
        assert len(expected) >= 3  # the samples have all three systems
        assert [(c["system"], c["code"]) for c in medication["code"]["coding"]] == expected
    coded = {c["code"] for m in made["contained"] for c in m["code"]["coding"]}
    assert {"1597258", "55513-0160-21", "L01FX07", "00008-0100-01", "L01FB01"} <= coded


def test_a_medicine_without_codes_is_named_only(drugs):
    made = record(drugs, medicines=[("blinatumomab", None)])
    assert made["contained"] == [
        {"resourceType": "Medication", "id": "medication-1", "code": {"text": "blinatumomab"}}
    ]
    assert made["context"] == {
        "related": [{"reference": "#medication-1", "display": "blinatumomab"}]
    }


def test_the_subject_is_there_only_when_given(drugs):
    assert "subject" not in record(drugs)
    assert record(drugs, subject="Patient/a.B-9")["subject"] == {"reference": "Patient/a.B-9"}
    url = "https://ehr.example.org:8443/fhir/R4/Patient/123"
    assert record(drugs, subject=url)["subject"] == {"reference": url}


@pytest.mark.parametrize(
    "value",
    [
        "Jane Doe",
        "Patient/",
        "Patient/Jane Doe",
        "patient/123",
        "Practitioner/123",
        "Patient/123/_history/2",
        "Patient/" + "a" * 65,
        "Patient/123\n",
        "Patient/１２３",
        "http://ehr.example.org/Patient/123",
        "https://jane@ehr.example.org/Patient/123",
        "https://ehr.example.org/Patient/123?name=Jane",
        "https://ehr.example.org/Patient/123#x",
        "https:///Patient/123",
    ],
)
def test_a_bad_patient_reference_is_refused_without_repeating_it(drugs, value):
    with pytest.raises(ValueError) as refused:
        patient_reference(value)
    assert str(refused.value) == PATIENT_HINT
    with pytest.raises(ValueError) as refused:
        record(drugs, subject=value)
    assert str(refused.value) == PATIENT_HINT


@settings(max_examples=50, deadline=None, database=None)
@given(st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True))
def test_every_fhir_id_makes_a_patient_reference(patient_id):
    assert patient_reference(f"Patient/{patient_id}") == f"Patient/{patient_id}"


def test_the_time_is_an_instant_in_utc(drugs):
    paris = dt.timezone(dt.timedelta(hours=2))
    made = record(drugs, when=dt.datetime(2026, 10, 7, 16, 30, 5, tzinfo=paris))
    assert made["date"] == "2026-10-07T14:30:05Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        record(drugs, when=dt.datetime(2026, 10, 7, 16, 30, 5))


def test_no_documents_is_refused():
    with pytest.raises(ValueError, match="at least one document"):
        document_reference(
            [], lang="en", medicines=[], reviewed=True, when=WHEN, subject=None, title="x"
        )


def test_a_record_the_models_refuse_is_reported_without_its_values(drugs):
    # A language code with leading whitespace is not a FHIR code: the models refuse it.
    with pytest.raises(RecordError) as refused:
        record(drugs, lang=" secret-value", subject="Patient/secret-patient")
    message = str(refused.value)
    assert "content.0.attachment.language" in message
    assert "secret" not in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_the_models_are_imported_only_when_a_record_is_made():
    probe = (
        "import sys, handouts.cli, handouts.fhir_record; "
        "print(any(name.startswith('fhir') for name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
