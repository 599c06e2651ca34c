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
from .errors import CatalogError
from .languages import SOURCE_LANGUAGE, direction, locale, native_name, use_content
from .localize import Localized, TranslationError, localize
from .locations import TEMPLATES_DIR
from .output import document_path, write_atomic
from .render_html import make_environment
from .schema import VERSION
from .template_strings import load_template_translation

STYLESHEET = "site.css"
INDEX = "index.html"
SITE_KINDS = ("handout", "card")  # the documents a page offers to print
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
    """The pages of a web edition, rendered on request; nothing here touches the disk."""

    def __init__(
        self,
        drugs: Iterable[DrugContent],
        clinic: ClinicSettings | None = None,
        template_dirs: tuple[Path, ...] = (),
        allow_fallback: bool = False,
        langs: tuple[str, ...] = (),
        downloads: Downloads | None = None,
    ):
        self.drugs = {drug.id: drug for drug in drugs}
        self.clinic = clinic
        self.template_dirs = tuple(template_dirs)
        self.allow_fallback = allow_fallback
        self.only = tuple(langs)
        self.downloads = downloads or documents_of(clinic)
        self._editions: dict[tuple[str, str], Edition] = {}
        self._environments: dict[str, jinja2.Environment] = {}

    # What there is ---------------------------------------------------------------------

    def languages(self, drug: DrugContent) -> list[str]:
        langs = available_languages(drug.path.parent)
        return [lang for lang in langs if not self.only or lang in self.only]

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
        return [lang for lang in self.languages(drug) if self.edition(drug, lang).localized]

    @staticmethod
    def versions(drug: DrugContent) -> list[str]:
        """Every version a paper may have been printed from, oldest first."""
        found = [change.version for change in drug.drug.changes]
        if drug.drug.content_version not in found:
            found.append(drug.drug.content_version)
        return found

    def paths(self) -> list[str]:
        """Every page of the edition, from the site's root."""
        pages = [INDEX]
        for drug in self.drugs.values():
            for lang in self.languages(drug):
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

    def index(self, listed: Callable[[str, str], bool] | None = None) -> bytes:
        """Every medicine and its published languages (listed: which to include)."""
        medicines = []
        for drug in self.drugs.values():
            langs = [
                lang for lang in self.published(drug) if listed is None or listed(drug.id, lang)
            ]
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
        if printed is not None and not _VERSION.match(printed):
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
        context = {
            "root": depth,
            "drug": content,
            **names_context(content, loc),
            "field": FieldMarker(localized.fallback_fields, named=False),
            "fallback_fields": localized.fallback_fields,
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
            # Only the versions as written in changes: "1.01" is no page of its own.
            drug = self.drugs.get(parts[0])
            if drug is None or parts[2] not in self.versions(drug):
                return None
            return self.page(parts[0], parts[1], parts[2])
        return None


def site_prefix(clinic: ClinicSettings | None) -> str:
    """Where `handouts serve` puts the web edition: under the path of the clinic's
    qr_base_url ("" for the server's root), so that the printed codes find it."""
    url = clinic.clinic.qr_base_url if clinic else None
    return urlsplit(url).path.rstrip("/") if url else ""


def documents_of(clinic: ClinicSettings | None) -> Downloads:
    """The documents a page links to, where `handouts build` puts them: the handout on the
    clinic's paper and the card on its stock."""

    def documents(drug: DrugContent, lang: str) -> list[tuple[str, str]]:
        return [
            (
                kind,
                document_path(
                    Job(
                        drug,
                        lang,
                        kind,
                        clinic.clinic.paper if clinic else "letter",
                        stock=clinic.clinic.card_stock if clinic else "us-business",
                    )
                ),
            )
            for kind in SITE_KINDS
        ]

    return documents


@dataclass
class Written:
    written: int = 0
    unchanged: int = 0


def built_documents(clinic: ClinicSettings | None, documents: dict[str, dict]) -> Downloads:
    """The documents a page offers from a build's folder (documents: its manifest entries
    by path): the clinic's paper and stock first, else what the build made."""
    preferred = documents_of(clinic)

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
    """Write every page of the edition into out_dir; a page whose bytes did not change is
    not written again."""
    result = Written()
    pages: dict[str, bytes] = {STYLESHEET: site.stylesheet()}
    for path in site.paths():
        if path != INDEX:
            pages[path] = _exists(site.render_path(path))
    # Pages an earlier build left that this one would not write must not keep showing old
    # content: a version printed before it was recorded in changes shows the current one;
    # a language no longer in the content says it is not available (when every language
    # is built).
    for drug in site.drugs.values():
        langs = site.languages(drug)
        for folder in sorted(p.parent for p in (out_dir / drug.id).glob(f"*/{INDEX}")):
            withdrawn = folder.name not in langs
            if withdrawn and site.only:
                continue
            path = f"{drug.id}/{folder.name}/{INDEX}"
            if withdrawn:
                pages[path] = _exists(site.page(drug.id, folder.name, withdrawn=True))
            for old in sorted(folder.glob(f"*/{INDEX}")):
                version = old.parent.name
                path = f"{drug.id}/{folder.name}/{version}/{INDEX}"
                if path not in pages and _VERSION.match(version):
                    page = site.page(drug.id, folder.name, version, withdrawn=withdrawn)
                    pages[path] = _exists(page)

    def listed(drug_id: str, lang: str) -> bool:
        path = f"{drug_id}/{lang}/{INDEX}"
        return path in pages or (out_dir / path).is_file()

    pages[INDEX] = site.index(listed)
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


def _exists(page: bytes | None) -> bytes:
    assert page is not None  # a page the edition lists, or a folder of its drug
    return page


def _relative(path: str, folder: str) -> str:
    return path[len(folder) :] if path.startswith(folder) else "../../" + path


def _language(lang: str, href: str, current: bool = False) -> dict:
    return {
        "tag": lang,
        "name": native_name(lang),
        "dir": direction(lang),
        "href": href,
        "current": current,
    }
