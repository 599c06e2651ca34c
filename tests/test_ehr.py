"""What an EHR calls: the HL7 Infobutton endpoint and the launch URL of the discharge page.

The Infobutton requests are MedlinePlus Connect's documented request shapes (RxNorm and
NDC by their OIDs, the patient's language, XML, JSON or JSONP), pointed at handouts.
"""

import json
import re
import shutil
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from handouts.batch import InlineExecutor
from handouts.clinic import load_clinic
from handouts.content import load_all
from handouts.locations import CONTENT_DIR
from handouts.web import create_app

from .conftest import FIXTURES, edit_field

ATOM = "{http://www.w3.org/2005/Atom}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RXNORM, NDC = "2.16.840.1.113883.6.88", "2.16.840.1.113883.6.69"
# MedlinePlus Connect's example request, as its documentation gives it (Chantix, which
# handouts has no handout for).
MEDLINEPLUS_EXAMPLE = (
    "mainSearchCriteria.v.cs=2.16.840.1.113883.6.88&mainSearchCriteria.v.c=637188"
    "&mainSearchCriteria.v.dn=Chantix%200.5%20MG%20Oral%20Tablet"
    "&informationRecipient.languageCode.c=en&knowledgeResponseType=application/json"
)


@pytest.fixture(scope="module")
def client():
    app = create_app(CONTENT_DIR, InlineExecutor())
    app.testing = True
    return app.test_client()


def ask(client, system: str, code: str, lang: str | None = None, **more: str):
    query = {"mainSearchCriteria.v.cs": system, "mainSearchCriteria.v.c": code, **more}
    if lang:
        query["informationRecipient.languageCode.c"] = lang
    return client.get("/infobutton", query_string=query)


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return ET.fromstring(response.data).findall(f"{ATOM}entry")


def links(entry: ET.Element) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for link in entry.findall(f"{ATOM}link"):
        found.setdefault(link.get("rel", ""), []).append(dict(link.attrib))
    return found


def test_medlineplus_example_for_a_medicine_not_here_is_an_empty_feed(client):
    response = client.get("/infobutton?" + MEDLINEPLUS_EXAMPLE)
    assert response.status_code == 200 and response.mimetype == "application/json"
    feed = response.json["feed"]
    assert feed["entry"] == []
    categories = {c["scheme"]: c["term"] for c in feed["category"]}
    assert categories["mainSearchCriteria.v.c"] == "637188"
    assert categories["mainSearchCriteria.v.cs"] == "RXNORM"
    assert categories["mainSearchCriteria.v.dn"] == "Chantix 0.5 MG Oral Tablet"


def test_rxnorm_request_in_spanish_answers_the_spanish_page_and_pdfs(client):
    response = ask(client, RXNORM, "1597262", "es")
    (entry,) = entries(response)
    assert entry.get(LANG) == "es"
    assert entry.findtext(f"{ATOM}title") == "Blinatumomab (Blincyto)"
    found = links(entry)
    (page,) = found["alternate"]
    assert page["type"] == "text/html" and page["hreflang"] == "es"
    assert page["href"] == "http://localhost/blinatumomab/es/"
    pdfs = found["related"]
    assert [link["type"] for link in pdfs] == ["application/pdf"] * 2
    assert {link["hreflang"] for link in pdfs} == {"es"}
    # The links open what they say: the Spanish page, and its PDFs, without signing in.
    html = client.get(urlsplit(page["href"]).path).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html
    for link in pdfs:
        pdf = client.get(urlsplit(link["href"]).path)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    feed = ET.fromstring(response.data)
    assert feed.get(LANG) == "es" and feed.findtext(f"{ATOM}id").startswith("http://localhost/")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.findtext(f"{ATOM}updated").endswith("Z")


@pytest.mark.parametrize("code", ["00008010001", "0008-0100-01", "00008-0100-01", "0008-0100-99"])
def test_ndc_request_in_any_written_form_finds_the_medicine(client, code):
    response = ask(client, NDC, code, "es", knowledgeResponseType="application/json")
    feed = response.json["feed"]
    (entry,) = feed["entry"]
    assert entry["title"]["_value"] == "Inotuzumab ozogamicin (Besponsa)"
    assert entry["lang"] == "es"
    assert entry["link"][0]["href"] == "http://localhost/inotuzumab-ozogamicin/es/"


def test_jsonp_wraps_the_json_in_the_callback(client):
    response = ask(
        client,
        RXNORM,
        "1942950",
        "ar",
        knowledgeResponseType="application/javascript",
        callback="ehr.showHandouts",
    )
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    match = re.fullmatch(r"ehr\.showHandouts\((.*)\);", body, re.DOTALL)
    assert match
    (entry,) = json.loads(match.group(1))["feed"]["entry"]
    assert entry["lang"] == "ar" and entry["link"][0]["hreflang"] == "ar"


@pytest.mark.parametrize(
    ("lang", "named"), [("zh-TW", "zh-TW"), ("so", "so"), ("xx", "xx"), ('"><x>', "und")]
)
def test_a_language_not_published_gives_the_english_entry_saying_so(client, lang, named):
    response = ask(client, RXNORM, "1597258", lang)
    (entry,) = entries(response)
    assert entry.get(LANG) == "en"
    assert links(entry)["alternate"][0]["href"] == "http://localhost/blinatumomab/en/"
    assert f"Not available in the language asked for ({named})" in entry.findtext(f"{ATOM}summary")
    assert "<x>" not in response.get_data(as_text=True)  # what is not a tag is not written back


def test_other_tags_of_a_published_language_are_that_language(client):
    for asked, served in (("spa", "es"), ("es-MX", "es"), ("zh-CN", "zh-Hans"), ("fil", "tl")):
        (entry,) = entries(ask(client, RXNORM, "1597258", asked))
        assert entry.get(LANG) == served
        assert "Not available" not in entry.findtext(f"{ATOM}summary")


def test_a_blocked_translation_gives_english(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    field = ("common_side_effects", "items", 2)
    effect = load_all(content, ["blinatumomab"])[0].drug.common_side_effects.items[2]
    edit_field(content, "blinatumomab", field, effect + " that lasts")
    client = create_app(content, InlineExecutor()).test_client()
    (entry,) = entries(ask(client, RXNORM, "1597258", "de"))
    assert entry.get(LANG) == "en"
    assert "Not available in the language asked for (de)" in entry.findtext(f"{ATOM}summary")


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (RXNORM, "999999999"),
        (RXNORM, "not-a-code"),
        (NDC, "12345-6789-01"),
        ("2.16.840.1.113883.6.90", "C91.00"),  # ICD-10-CM: not a medicine code
    ],
)
def test_unknown_codes_give_an_empty_feed(client, system, code):
    assert entries(ask(client, system, code, "es")) == []


def test_patient_details_an_ehr_adds_are_never_written_back(client):
    response = ask(
        client,
        RXNORM,
        "1597262",
        "es",
        **{"age.v.v": "47", "age.v.u": "a", "patientPerson.administrativeGenderCode.c": "F"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "age.v" not in body and "administrativeGender" not in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"mainSearchCriteria.v.c": "1597262"}, "mainSearchCriteria.v.cs is missing"),
        ({"mainSearchCriteria.v.cs": RXNORM}, "mainSearchCriteria.v.c is missing"),
        (
            {
                "mainSearchCriteria.v.cs": RXNORM,
                "mainSearchCriteria.v.c": "1",
                "knowledgeResponseType": "text/html",
            },
            "knowledgeResponseType: use one of text/xml, application/json, application/javascript",
        ),
        (
            {
                "mainSearchCriteria.v.cs": RXNORM,
                "mainSearchCriteria.v.c": "1",
                "knowledgeResponseType": "application/javascript",
                "callback": "alert(1)",
            },
            "callback: application/javascript needs the name of a function",
        ),
    ],
)
def test_malformed_requests_say_what_is_missing(client, query, message):
    response = client.get("/infobutton", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_links_use_the_clinics_web_edition_address():
    client = create_app(
        CONTENT_DIR, InlineExecutor(), clinic=load_clinic(FIXTURES / "clinic" / "clinic.yaml")
    ).test_client()
    (entry,) = entries(ask(client, RXNORM, "1597262", "ko"))
    assert (
        links(entry)["alternate"][0]["href"]
        == "https://handouts.riverside.example/blinatumomab/ko/"
    )


# The launch from the EHR ----------------------------------------------------------------


def chosen(html: str) -> tuple[list[str], list[str]]:
    drugs = re.search(r'<select id="drug".*?</select>', html, re.DOTALL).group(0)
    langs = re.search(r'<select id="lang".*?</select>', html, re.DOTALL).group(0)
    pick = r'<option value="([^"]+)"[^>]*\sselected'
    return re.findall(pick, drugs), re.findall(pick, langs)


def test_launch_chooses_the_medicines_and_language(client):
    html = client.get("/?rxcui=1597262&ndc=00008-0100-01&lang=spa").get_data(as_text=True)
    assert chosen(html) == (["blinatumomab", "inotuzumab-ozogamicin"], ["es"])
    html = client.get("/?rxcui=1597258,1942950&lang=ar").get_data(as_text=True)
    assert chosen(html) == (["blinatumomab", "inotuzumab-ozogamicin"], ["ar"])
    assert 'role="alert"' not in html


def test_launch_with_an_unknown_code_chooses_nothing_in_its_place(client):
    html = client.get("/?rxcui=637188&lang=es").get_data(as_text=True)
    assert chosen(html) == ([], ["es"])
    assert "Not in this catalogue, so not chosen: RxNorm 637188" in html
    html = client.get("/?rxcui=1942950&ndc=0008010001&lang=zh-TW").get_data(as_text=True)
    assert chosen(html) == (["inotuzumab-ozogamicin"], [])
    assert "NDC (not a valid code)" in html
    assert "The patient's language (zh-TW) is not available" in html


@pytest.mark.parametrize("query", ["patient_name=Ada", "mrn=12345", "dob=1970-01-01", "name=Ada"])
def test_patient_details_in_the_launch_url_are_refused(client, query):
    response = client.get(f"/?rxcui=1597262&{query}")
    assert response.status_code == 400
    assert "Ada" not in response.get_data(as_text=True) and "12345" not in response.get_data(
        as_text=True
    )


# The FHIR record of what was given -------------------------------------------------------

FHIR = {"Accept": "application/fhir+json"}
PACKET = {"drugs": ["blinatumomab", "inotuzumab-ozogamicin"], "lang": "es"}
DETAILS = {"patient_name": "Zephyrine Quackenbush", "care_team": "Hematología 4B"}


def record(client, body: dict) -> dict:
    from fhir.resources.R4B.documentreference import DocumentReference

    response = client.post("/api/documents", json=body, headers=FHIR)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    DocumentReference.model_validate(response.json)  # the FHIR models accept it
    return response.json


@pytest.mark.parametrize("details", [{}, DETAILS])
def test_fhir_record_of_a_packet_holds_the_same_pdf(client, details):
    import base64
    import hashlib

    body = {**PACKET, "personalization": details}
    pdf = client.post("/api/documents", json=body).data
    found = record(client, {**body, "patient_reference": "Patient/example-1"})
    assert found["resourceType"] == "DocumentReference" and found["status"] == "current"
    assert found["docStatus"] == "preliminary"  # the Spanish translations are drafts
    assert found["type"]["coding"] == [
        {"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}
    ]
    assert found["subject"] == {"reference": "Patient/example-1"}
    (content,) = found["content"]
    attachment = content["attachment"]
    assert base64.b64decode(attachment["data"]) == pdf  # the bytes the nurse printed
    assert attachment["size"] == len(pdf)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(pdf).digest()).decode()
    assert attachment["contentType"] == "application/pdf" and attachment["language"] == "es"
    assert attachment["title"] == "blinatumomab-inotuzumab-ozogamicin-es-packet.pdf"
    # Each medicine with its codes, and the patient only by the reference given.
    medications = {m["code"]["text"]: m["code"]["coding"] for m in found["contained"]}
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert {"system": rxnorm, "code": "1597258"} in medications["blinatumomab"]
    assert {"system": "http://hl7.org/fhir/sid/ndc", "code": "00008-0100-01"} in medications[
        "inotuzumab ozogamicin"
    ]
    assert {"system": "http://www.whocc.no/atc", "code": "L01FX07"} in medications["blinatumomab"]
    assert [r["display"] for r in found["context"]["related"]] == list(medications)
    text = json.dumps({k: v for k, v in found.items() if k != "content"})
    assert "Quackenbush" not in text and "Hematolog" not in text


def test_fhir_record_of_an_english_handout_is_final_and_names_no_patient(client):
    found = record(client, {"drug": "blinatumomab", "lang": "en", "kinds": ["card"]})
    assert found["docStatus"] == "final" and "subject" not in found
    assert found["content"][0]["attachment"]["language"] == "en"


def test_a_reviewed_translation_is_final(tmp_path):
    import polib

    from .conftest import reviewed_template_folder

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    catalog = polib.pofile(str(content / "blinatumomab" / "locale" / "es.po"))
    catalog.metadata["X-Clinical-Reviewer"] = "Test Reviewer, RN (fixture only)"
    catalog.metadata["X-Clinical-Review-Date"] = "2026-02-01"
    catalog.save()
    templates = reviewed_template_folder(tmp_path / "templates")
    client = create_app(content, InlineExecutor(), template_dirs=(templates,)).test_client()
    drugs = client.get("/api/catalog").json["drugs"]
    catalog_status = next(d for d in drugs if d["id"] == "blinatumomab")["languages"]
    assert next(lang for lang in catalog_status if lang["tag"] == "es")["reviewed"]
    found = record(client, {"drug": "blinatumomab", "lang": "es"})
    assert found["docStatus"] == "final"


@pytest.mark.parametrize("reference", ["Jane Doe", "Patient/x/y", "Patient/a b", "Observation/1"])
def test_a_patient_reference_that_is_not_one_is_refused_unrepeated(client, reference):
    response = client.post(
        "/api/documents", json={**PACKET, "patient_reference": reference}, headers=FHIR
    )
    assert response.status_code == 400
    assert "patient_reference: the patient reference must be Patient/<id>" in response.json["error"]
    assert reference not in response.json["error"]


def test_a_patient_reference_without_asking_for_the_record_is_refused(client):
    response = client.post("/api/documents", json={**PACKET, "patient_reference": "Patient/1"})
    assert response.status_code == 400
    assert "send it with Accept: application/fhir+json" in response.json["error"]
