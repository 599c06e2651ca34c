"""GET /infobutton: the HL7 Infobutton URL-based knowledge request, as MedlinePlus Connect
answers it, so that an EHR's existing infobutton finds a clinic's handouts by the codes it
holds (RxNorm RxCUI, NDC).

A request names one code (mainSearchCriteria.v.c) of a code system by its HL7 OID
(mainSearchCriteria.v.cs) and the patient's language (informationRecipient.languageCode.c).
The answer is an Atom feed (text/xml, the default), the same as JSON (application/json),
or JSON wrapped in a call (application/javascript with callback): one entry for each
medicine the code names, linking to its page in the web edition and its PDFs in the
language asked for. A language not published for it gives the English entry, which says
so. A code no medicine has, or a code system other than RxNorm and NDC, gives a feed
with no entry: an infobutton shows "nothing found", not an error.

Other parameters of the standard (the patient's age and sex, the task, the performer) are
accepted and ignored: nothing here depends on them, and they are never logged.
"""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .codes import NDC_OID, RXNORM_OID
from .codes import SYSTEMS as CODE_SYSTEMS
from .compose import display_name
from .content import DrugContent
from .languages import SOURCE_LANGUAGE, native_name
from .lookup import LANGUAGE_TAG, by_codes, language_for
from .site import Site
from .web_input import BadRequest

# The code systems an Infobutton request may name, by OID: those of medicines an EHR holds.
SYSTEMS = {oid: name for name, oid in CODE_SYSTEMS.items() if oid in (RXNORM_OID, NDC_OID)}
# How the feed names the code systems (MedlinePlus Connect's terms).
SYSTEM_TERMS = {RXNORM_OID: "RXNORM", NDC_OID: "NDC"}
RESPONSE_TYPES = ("text/xml", "application/json", "application/javascript")
CODE, SYSTEM, NAME = (f"mainSearchCriteria.v.{part}" for part in ("c", "cs", "dn"))
LANGUAGE = "informationRecipient.languageCode.c"
RESPONSE_TYPE, CALLBACK = "knowledgeResponseType", "callback"
# A JSONP callback is a JavaScript name (dotted for a namespace), nothing that could run.
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,3}")
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]{0,200}")
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LINK_TITLES = {"handout": "Handout to print (PDF)", "card": "Wallet card to print (PDF)"}


@dataclass(frozen=True)
class Query:
    system: str  # the OID as given
    code: str
    display_name: str
    lang: str  # as asked ("" for none: English)
    response_type: str
    callback: str = ""


@dataclass
class Entry:
    drug: DrugContent
    lang: str  # the language of what the links open
    asked: str  # the language asked for, when it is not that one
    page: str
    documents: list[tuple[str, str]] = field(default_factory=list)  # (kind, address)


def parse(args: Mapping[str, str]) -> Query:
    """The request's parameters, checked. Raises BadRequest naming the parameter."""
    for name in (SYSTEM, CODE):
        if not args.get(name, "").strip():
            raise BadRequest(
                f"{name} is missing: an Infobutton request names a code and its system, "
                f"e.g. ?{SYSTEM}={RXNORM_OID}&{CODE}=1597262&{LANGUAGE}=es"
            )
    response_type = args.get(RESPONSE_TYPE, "text/xml").strip() or "text/xml"
    if response_type not in RESPONSE_TYPES:
        raise BadRequest(f"{RESPONSE_TYPE}: use one of {', '.join(RESPONSE_TYPES)}")
    callback = args.get(CALLBACK, "").strip()
    if response_type == "application/javascript" and not _CALLBACK.fullmatch(callback):
        raise BadRequest(
            f"{CALLBACK}: application/javascript needs the name of a function to call, "
            "such as callback=showHandouts"
        )
    name, code = args.get(NAME, "").strip(), args[CODE].strip()
    lang = args.get(LANGUAGE, "").strip()
    if lang and not LANGUAGE_TAG.fullmatch(lang):
        lang = "und"  # BCP 47 "undetermined": what is not a tag is not written back
    if not _PRINTABLE.fullmatch(code) or len(code) > 100:
        raise BadRequest(f"{CODE}: not a code (at most 100 printable characters)")
    return Query(
        system=args[SYSTEM].strip()[:100],
        code=code,
        display_name=name if _PRINTABLE.fullmatch(name) else "",
        lang=lang,
        response_type=response_type,
        callback=callback,
    )


def query_string(query: Query) -> str:
    """The request's own parameters, and only those: the feed's id. An EHR may add the
    patient's age or sex to the address; they are never written back."""
    pairs = [(SYSTEM, query.system), (CODE, query.code), (LANGUAGE, query.lang or "")]
    return urlencode([(key, value) for key, value in pairs if value])


def find(query: Query, drugs: Iterable[DrugContent], site: Site, base: str) -> list[Entry]:
    """An entry for each medicine the code names, in the language asked for if it is
    published, else in English. base: the web edition's address (no trailing slash)."""
    system = SYSTEMS.get(query.system)
    if system is None:
        return []
    found, _ = by_codes(drugs, [(system, query.code)])
    entries = []
    for drug in found:
        published = site.published(drug)
        wanted = language_for(query.lang, published) if query.lang else SOURCE_LANGUAGE
        lang = wanted or SOURCE_LANGUAGE
        if lang not in published:
            continue
        entries.append(
            Entry(
                drug,
                lang,
                asked="" if wanted else query.lang,
                page=f"{base}/{drug.id}/{lang}/",
                documents=[(kind, f"{base}/{path}") for kind, path in site.downloads(drug, lang)],
            )
        )
    return entries


@dataclass(frozen=True)
class Feed:
    query: Query
    entries: list[Entry]
    author: str
    author_uri: str
    updated: dt.datetime
    url: str  # the request's own address: the feed's id


def _title(entry: Entry) -> str:
    brands = ", ".join(sorted({brand.name for brand in entry.drug.drug.names.brands}))
    return (
        f"{display_name(entry.drug.drug)} ({brands})" if brands else display_name(entry.drug.drug)
    )


def _summary(entry: Entry) -> str:
    text = "Patient handout and wallet card: serious warnings, signs that need a call right away"
    if entry.asked:
        text += (
            f". Not available in the language asked for ({entry.asked}); "
            f"this is the {native_name(entry.lang)} information"
        )
    return text + "."


def _categories(query: Query) -> list[tuple[str, str]]:
    return [
        (CODE, query.code),
        (SYSTEM, SYSTEM_TERMS.get(query.system, query.system)),
        (NAME, query.display_name),
        ("informationRecipient", "PAT"),
        (LANGUAGE, query.lang or SOURCE_LANGUAGE),
    ]


def _updated(entry: Entry) -> str:
    return entry.drug.drug.last_reviewed.isoformat() + "T00:00:00Z"


def _links(entry: Entry) -> list[dict[str, str]]:
    links = [
        {
            "title": _title(entry),
            "rel": "alternate",
            "type": "text/html",
            "hreflang": entry.lang,
            "href": entry.page,
        }
    ]
    links += [
        {
            "title": LINK_TITLES.get(kind, kind),
            "rel": "related",
            "type": "application/pdf",
            "hreflang": entry.lang,
            "href": address,
        }
        for kind, address in entry.documents
    ]
    return links


def atom(feed: Feed) -> bytes:
    """The feed in Atom (RFC 4287), as the Infobutton knowledge response profile has it."""
    ET.register_namespace("", ATOM)

    def add(parent, tag: str, text: str | None = None, **attributes: str):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        element.text = text
        return element

    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: feed.query.lang or SOURCE_LANGUAGE})
    add(root, "title", "handouts", type="text")
    add(root, "subtitle", _subtitle(feed.query), type="text")
    author = add(root, "author")
    add(author, "name", feed.author)
    if feed.author_uri:
        add(author, "uri", feed.author_uri)
    add(root, "updated", _instant(feed.updated))
    add(root, "id", feed.url)
    for scheme, term in _categories(feed.query):
        add(root, "category", scheme=scheme, term=term)
    for entry in feed.entries:
        item = add(root, "entry", **{XML_LANG: entry.lang})
        add(item, "title", _title(entry), type="text")
        for link in _links(entry):
            add(item, "link", **link)
        add(item, "id", entry.page)
        add(item, "updated", _updated(entry))
        add(item, "summary", _summary(entry), type="text", **{XML_LANG: "en"})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def as_json(feed: Feed) -> dict:
    """The feed as MedlinePlus Connect writes it in JSON: text in "_value", attributes as
    keys."""

    def text(value: str, kind: str | None = None) -> dict[str, str]:
        return {"_value": value, **({"type": kind} if kind else {})}

    return {
        "feed": {
            "lang": feed.query.lang or SOURCE_LANGUAGE,
            "title": text("handouts", "text"),
            "subtitle": text(_subtitle(feed.query), "text"),
            "author": {
                "name": text(feed.author),
                **({"uri": text(feed.author_uri)} if feed.author_uri else {}),
            },
            "updated": text(_instant(feed.updated)),
            "id": text(feed.url),
            "category": [{"scheme": s, "term": t} for s, t in _categories(feed.query)],
            "entry": [
                {
                    "lang": entry.lang,
                    "title": text(_title(entry), "text"),
                    "link": _links(entry),
                    "id": text(entry.page),
                    "updated": text(_updated(entry)),
                    "summary": {**text(_summary(entry), "text"), "lang": "en"},
                }
                for entry in feed.entries
            ],
        }
    }


def respond(feed: Feed) -> tuple[bytes, str]:
    """(body, content type) in the response type asked for."""
    kind = feed.query.response_type
    if kind == "text/xml":
        return atom(feed), "text/xml; charset=utf-8"
    data = json.dumps(as_json(feed), ensure_ascii=False)
    if kind == "application/json":
        return data.encode(), "application/json"
    return f"{feed.query.callback}({data});".encode(), "application/javascript; charset=utf-8"


def _subtitle(query: Query) -> str:
    return f"handouts results for {SYSTEM_TERMS.get(query.system, query.system)} {query.code}"


def _instant(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
