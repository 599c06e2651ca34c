"""The web edition: the whole content of each handout as an HTML page per drug, language
and content version, the pages the printed QR codes open.

The same translation policy as print: a language whose translation is blocked is not
published (its page says which language to read instead), a draft carries the draft
notice, and English fallback is marked. Pages are plain HTML and one stylesheet: no
script, nothing from another site. `handouts site` writes them beside the PDFs they link
to; `handouts serve` renders the same pages at the same paths (web.py).
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from .catalogs import available_languages
from .clinic import ClinicSettings
from .compose import FieldMarker, Job, display_name, long_date, names_context, url_of_content
from .content import DrugContent, version_key
from .documents import DEFAULT_PAPER, DEFAULT_STOCK, KINDS
from .errors import CatalogError
from .languages import SOURCE_LANGUAGE, direction, locale, native_name, tags, use_content
from .localize import Localized, TranslationError, localize
from .locations import TEMPLATES_DIR
from .output import document_path, write_atomic
from .render_html import make_environment
from .schema import VERSION
from .template_strings import load_template_translation

STYLESHEET = "site.css"
INDEX = "index.html"
SITE_KINDS = KINDS  # the documents a page offers to print: those build makes by default
_VERSION = re.compile(VERSION)


@dataclass(frozen=True)
class Edition:
    """One drug in one language: localized, or blocked (why, for the log)."""

    drug: DrugContent
    lang: str
    localized: Localized | None
    blocked: str = ""


# A page's documents: (kind, path from the site's root) for a drug and language.
Downloads = Callable[[DrugContent, str], list[tuple[str, str]]]


class Site:
    """The pages of a web edition, rendered on request (writing them is write_site's).

    drugs: every drug of the content, for the index and the language lists; a build of
    some drugs or languages (selected, langs) writes only their pages, and lists the others
    whose pages are there (listed)."""

    def __init__(
        self,
        drugs: Iterable[DrugContent],
        clinic: ClinicSettings | None = None,
        template_dirs: tuple[Path, ...] = (),
        allow_fallback: bool = False,
        langs: tuple[str, ...] = (),
        downloads: Downloads | None = None,
        selected: Iterable[str] | None = None,
    ):
        self.drugs = {drug.id: drug for drug in drugs}
        self.clinic = clinic
        self.template_dirs = tuple(template_dirs)
        self.allow_fallback = allow_fallback
        self.only = tuple(langs)
        self.selected = set(self.drugs if selected is None else selected) & set(self.drugs)
        self.downloads = downloads or documents_of(clinic)
        # Which (drug, language) pages the index and the language lists link to.
        self.listed: Callable[[str, str], bool] = lambda drug_id, lang: True
        self._editions: dict[tuple[str, str], Edition] = {}
        self._environments: dict[str, jinja2.Environment] = {}
        self._stamp = self.stamp()

    # What there is ---------------------------------------------------------------------

    def languages(self, drug: DrugContent) -> list[str]:
        return available_languages(drug.path.parent)

    def written(self, drug: DrugContent) -> list[str]:
        """The languages of a drug whose pages this build writes."""
        if drug.id not in self.selected:
            return []
        return [lang for lang in self.languages(drug) if not self.only or lang in self.only]

    def stamp(self) -> tuple:
        """When the translations were last changed: the print pipeline reads them afresh
        for every document, so a served page must not keep an older one."""
        files = [
            path
            for drug in self.drugs.values()
            for path in sorted((drug.path.parent / "locale").glob("*.po"))
        ]
        return tuple((str(path), path.stat().st_mtime_ns) for path in files if path.exists())

    def fresh(self) -> bool:
        """Whether nothing changed since the pages were made; if something did, what was
        kept is dropped (a page made before must be made again)."""
        stamp = self.stamp()
        if stamp == self._stamp:
            return True
        self._stamp = stamp
        self._editions.clear()
        return False

    def edition(self, drug: DrugContent, lang: str) -> Edition:
        key = (drug.id, lang)
        if key not in self._editions:
            use_content(drug.path.parent.parent, self.clinic.fonts_dir if self.clinic else None)
            try:
                localized = localize(drug, lang, self.allow_fallback, self.template_dirs)
                self._editions[key] = Edition(drug, lang, localized)
            except (TranslationError, CatalogError) as error:
                self._editions[key] = Edition(drug, lang, None, str(error).splitlines()[0])
        return self._editions[key]

    def published(self, drug: DrugContent) -> list[str]:
        """The languages the drug is published in whose pages there are."""
        return [
            lang
            for lang in self.languages(drug)
            if self.listed(drug.id, lang) and self.edition(drug, lang).localized
        ]

    @staticmethod
    def versions(drug: DrugContent) -> list[str]:
        """Every version a paper may have been printed from, oldest first."""
        found = [change.version for change in drug.drug.changes]
        if drug.drug.content_version not in found:
            found.append(drug.drug.content_version)
        return found

    def paths(self) -> list[str]:
        """Every page this build writes, from the site's root."""
        pages = [INDEX]
        for drug in self.drugs.values():
            for lang in self.written(drug):
                pages.append(f"{drug.id}/{lang}/{INDEX}")
                pages += [f"{drug.id}/{lang}/{v}/{INDEX}" for v in self.versions(drug)]
        return pages

    # Pages -----------------------------------------------------------------------------

    def stylesheet(self) -> bytes:
        for folder in (*self.template_dirs, TEMPLATES_DIR):
            path = folder / "site" / STYLESHEET
            if path.is_file():
                return path.read_bytes()
        raise FileNotFoundError(STYLESHEET)  # the package's own is always there

    def index(self) -> bytes:
        """Every medicine and its published languages."""
        medicines = []
        for drug in self.drugs.values():
            langs = self.published(drug)
            if langs:
                medicines.append(
                    {
                        "id": drug.id,
                        "name": display_name(drug.drug),
                        "brands": sorted({b.name for b in drug.drug.names.brands}),
                        "languages": [
                            _language(lang, f"{drug.id}/{lang}/{INDEX}") for lang in langs
                        ],
                    }
                )
        return self._render(
            SOURCE_LANGUAGE, None, "site/index.html", {"root": "", "medicines": medicines}
        )

    def page(
        self, drug_id: str, lang: str, printed: str | None = None, withdrawn: bool = False
    ) -> bytes | None:
        """The page of a drug in a language: the current one, or the one a paper printed
        from version `printed` opens. None when there is no such page. withdrawn: the
        language is no longer in the content, and its page says so (as a blocked one's)."""
        drug = self.drugs.get(drug_id)
        if drug is None or (lang not in self.languages(drug) and not withdrawn):
            return None
        if printed is not None and not _VERSION.fullmatch(printed):
            return None
        depth = "../../../" if printed else "../../"
        edition = Edition(drug, lang, None) if withdrawn else self.edition(drug, lang)
        others = [
            _language(
                other,
                f"../{other}/{INDEX}" if not printed else f"../../{other}/{printed}/{INDEX}",
                current=other == lang,
            )
            for other in self.published(drug)
        ]
        if edition.localized is None:
            return self._unavailable(drug, lang, printed, depth, others)
        localized = edition.localized
        content = localized.drug
        loc = locale(lang)
        changes = [
            {
                "version": change.version,
                "date": long_date(change.date, loc),
                "items": [
                    {"path": f"changes[{i}].items[{j}]", "text": text}
                    for j, text in enumerate(change.items)
                ],
            }
            for i, change in reversed(list(enumerate(content.changes)))
        ]
        notice = None
        if printed is not None:
            newer = {
                c.version for c in content.changes if version_key(c.version) > version_key(printed)
            }
            since = [change for change in changes if change["version"] in newer]
            current = version_key(printed) == version_key(content.content_version)
            notice = {"version": printed, "since": since, "current": current}
        here = "" if not printed else "../"
        job = Job(drug, lang, "handout")
        english = localized.fallback_fields | localized.web_fallback
        context = {
            "root": depth,
            "drug": content,
            **names_context(content, loc),
            "field": FieldMarker(english, named=False),
            "fallback_fields": english,
            "draft": localized.draft,
            "last_reviewed": long_date(content.last_reviewed, loc),
            "printed": notice,
            "changes": changes,
            "downloads": [
                {"kind": kind, "href": here + _relative(path, f"{drug.id}/{lang}/")}
                for kind, path in self.downloads(drug, lang)
            ],
            "full_info_url": url_of_content(job, content),
            "languages": others,
        }
        return self._render(lang, localized, "site/page.html", context)

    def _unavailable(self, drug, lang, printed, depth, others) -> bytes:
        """A blocked language's page: in its own words when its template strings are all
        translated, else in English; it points to the English page."""
        try:
            strings = load_template_translation(lang, self.template_dirs)
            whole = not (strings.status.missing or strings.status.stale)
        except CatalogError:
            whole = False
        english = (
            f"../{SOURCE_LANGUAGE}/{INDEX}"
            if not printed
            else f"../../{SOURCE_LANGUAGE}/{printed}/{INDEX}"
        )
        context = {
            "root": depth,
            "display_name": display_name(drug.drug),
            "instead": _language(SOURCE_LANGUAGE, english),
            "languages": others,
        }
        page_lang = lang if whole else SOURCE_LANGUAGE
        localized = None
        if whole:
            localized = Localized(drug.drug, lang, frozenset(), True, strings)
        return self._render(page_lang, localized, "site/unavailable.html", context)

    def _render(self, lang: str, localized: Localized | None, name: str, context: dict) -> bytes:
        if lang not in self._environments:
            templates = localized.templates if localized else None
            self._environments[lang] = make_environment(self.template_dirs, templates)
        env = self._environments[lang]
        html = env.get_template(name).render({"lang": lang, "dir": direction(lang), **context})
        return html.encode("utf-8")

    # Paths -----------------------------------------------------------------------------

    def render_path(self, path: str) -> bytes | None:
        """The page or stylesheet at a path from the site's root ("" is the index)."""
        if path in ("", INDEX):
            return self.index()
        if path == STYLESHEET:
            return self.stylesheet()
        parts = path.split("/")
        if parts[-1] in ("", INDEX):
            parts = parts[:-1]
        if len(parts) == 2:
            return self.page(parts[0], parts[1])
        if len(parts) == 3:
            drug = self.drugs.get(parts[0])
            if drug is None or not self.printable(drug, parts[2]):
                return None
            return self.page(parts[0], parts[1], parts[2])
        return None

    def printable(self, drug: DrugContent, version: str) -> bool:
        """Whether a paper can have been printed from this version: one in changes, or an
        earlier one printed before versions were recorded ("1.01" is not a version)."""
        if version in self.versions(drug):
            return True
        canonical = _VERSION.fullmatch(version) and not re.search(r"(^|\.)0\d", version)
        current = version_key(drug.drug.content_version)
        return bool(canonical) and version_key(version) < current


def site_prefix(clinic: ClinicSettings | None) -> str:
    """Where `handouts serve` puts the web edition: under the path of the clinic's
    qr_base_url ("" for the server's root), so that the printed codes find it."""
    url = clinic.clinic.qr_base_url if clinic else None
    return urlsplit(url).path.rstrip("/") if url else ""


def document_job(
    drug: DrugContent,
    lang: str,
    kind: str,
    clinic: ClinicSettings | None,
    paper: str | None = None,
    stock: str | None = None,
) -> Job:
    """A document a page offers: on the paper and stock given, else the clinic's, else the
    defaults."""
    paper = paper or (clinic.clinic.paper if clinic else DEFAULT_PAPER)
    stock = stock or (clinic.clinic.card_stock if clinic else DEFAULT_STOCK)
    return Job(drug, lang, kind, paper, stock=stock, clinic=clinic)


def documents_of(
    clinic: ClinicSettings | None, paper: str | None = None, stock: str | None = None
) -> Downloads:
    """The documents a page links to, where `handouts build` puts them (document_job)."""

    def documents(drug: DrugContent, lang: str) -> list[tuple[str, str]]:
        return [
            (kind, document_path(document_job(drug, lang, kind, clinic, paper, stock)))
            for kind in SITE_KINDS
        ]

    return documents


@dataclass
class Written:
    written: int = 0
    unchanged: int = 0


def built_documents(preferred: Downloads, documents: dict[str, dict]) -> Downloads:
    """The documents a page offers from a build's folder (documents: its manifest entries
    by path): the preferred ones (the build's paper and stock), else what is there."""

    def offered(drug: DrugContent, lang: str) -> list[tuple[str, str]]:
        found = []
        for kind, path in preferred(drug, lang):
            if path not in documents:
                plain = sorted(
                    other
                    for other, entry in documents.items()
                    if (entry.get("drug"), entry.get("lang"), entry.get("kind"))
                    == (drug.id, lang, kind)
                    and not other.endswith(("-pdfa.pdf", "-large-print.pdf"))
                )
                path = plain[0] if plain else ""
            if path:
                found.append((kind, path))
        return found

    return offered


def write_site(site: Site, out_dir: Path) -> Written:
    """Write the pages of the edition this build makes into out_dir; a page whose bytes
    did not change is not written again. The index and the language lists link to these
    and to the pages an earlier build left."""
    paths = set(site.paths())
    site.listed = lambda drug_id, lang: (
        f"{drug_id}/{lang}/{INDEX}" in paths or (out_dir / drug_id / lang / INDEX).is_file()
    )
    result = Written()
    pages: dict[str, bytes] = {STYLESHEET: site.stylesheet()}
    for path in site.paths():
        pages[path] = _exists(site.render_path(path), path)
    # Pages an earlier build left that this one would not write must not keep showing old
    # content: a version printed before it was recorded in changes shows the current one;
    # a language no longer in the content says it is not available (when every language
    # of the drug is built). Only folders named as handouts names them are touched.
    known = set(tags())
    for drug in site.drugs.values():
        if drug.id not in site.selected:
            continue
        langs = site.languages(drug)
        for folder in sorted(p.parent for p in (out_dir / drug.id).glob(f"*/{INDEX}")):
            if folder.name not in known or (folder.name not in langs and site.only):
                continue
            withdrawn = folder.name not in langs
            path = f"{drug.id}/{folder.name}/{INDEX}"
            if withdrawn:
                pages[path] = _exists(site.page(drug.id, folder.name, withdrawn=True), path)
            for old in sorted(folder.glob(f"*/{INDEX}")):
                version = old.parent.name
                path = f"{drug.id}/{folder.name}/{version}/{INDEX}"
                if path not in pages and site.printable(drug, version):
                    page = site.page(drug.id, folder.name, version, withdrawn=withdrawn)
                    pages[path] = _exists(page, path)
    for path, data in pages.items():
        target = out_dir / path
        try:
            same = target.read_bytes() == data
        except OSError:
            same = False
        if same:
            result.unchanged += 1
        else:
            write_atomic(target, data)
            result.written += 1
    return result


def _exists(page: bytes | None, path: str) -> bytes:
    if page is None:  # a page the edition lists, or a folder of its drug: always made
        raise RuntimeError(f"the web edition made no page for {path}")
    return page


def _relative(path: str, folder: str) -> str:
    """A document's path from its page's folder (documents are in their page's folder)."""
    return path.removeprefix(folder)


def _language(lang: str, href: str, current: bool = False) -> dict:
    return {
        "tag": lang,
        "name": native_name(lang),
        "dir": direction(lang),
        "href": href,
        "current": current,
    }
