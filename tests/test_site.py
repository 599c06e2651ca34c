"""The web edition: the pages the printed QR codes open, read back from the built site.

The whole sample site is built once, with a clinic that publishes it (qr_base_url); each
test reads the PDFs and pages it wrote, as a patient's phone and a browser would.
"""

import shutil
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

from handouts.catalogs import available_languages
from handouts.clinic import load_clinic
from handouts.content import load_all
from handouts.languages import direction
from handouts.localize import localize
from handouts.locations import CONTENT_DIR

from .conftest import FIXTURES, decode_qr_codes, pdf_text, run_cli

pytestmark = pytest.mark.slow

CLINIC = FIXTURES / "clinic" / "clinic.yaml"
BASE = "https://handouts.riverside.example/"
# Shaped scripts (Devanagari clusters, Arabic joining and lam-alef ligatures): pdfium does not
# give their text back as typed, so the PDF side of the comparison is left to the page.
SHAPED = {"hi", "ar"}


class Page(HTMLParser):
    """What a test needs of a page: its language, direction, headings and the text of the
    sections it is asked about (by class)."""

    def __init__(self, html: str):
        super().__init__()
        self.lang = self.dir = ""
        self.headings: list[tuple[int, str]] = []
        self.sections: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self._open: list[str] = []  # classes of the sections we are in
        self._heading: list[str] | None = None
        self._level = 0
        self._stack: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang, self.dir = attributes.get("lang", ""), attributes.get("dir", "")
        if tag == "section":
            self._open.append(attributes.get("class") or "")
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading, self._level = [], int(tag[1])
        if tag == "a":
            self.links.append(attributes)
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "section" and self._open:
            self._open.pop()
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            text = clean("".join(self._heading))
            self.headings.append((self._level, text))
            for section in self._open:
                self.sections.setdefault(section, []).append(text)
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)

    def section_headings(self, name: str) -> list[str]:
        return [
            text
            for classes, found in self.sections.items()
            if name in classes.split()
            for text in found
        ]


def clean(text: str) -> str:
    """Text as a reader sees it: no bidi isolates or soft hyphens, spaces collapsed."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = run_cli("site", "--out", out, "--clinic", CLINIC)
    assert result.returncode == 0, result.stderr
    assert "web edition: 98 pages: 98 written, 0 unchanged" in result.stdout
    return out, result


def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def copied_blinatumomab(tmp_path: Path) -> Path:
    """A content folder of its own holding a copy of the blinatumomab sample."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    return content


def edit_entry(content: Path, lang: str, context: str, msgstr: str | None = None) -> None:
    """One entry of a copied catalogue: its translation replaced (msgstr), or marked for
    review (fuzzy) when none is given."""
    import polib

    catalogue = content / "blinatumomab" / "locale" / f"{lang}.po"
    po = polib.pofile(str(catalogue), wrapwidth=0)
    entry = po.find(context, by="msgctxt")
    if msgstr is None:
        entry.flags.append("fuzzy")
    else:
        entry.msgstr = msgstr
    po.save(str(catalogue))


def clinic_publishing_at(tmp_path: Path, base: str) -> Path:
    """The test clinic's settings with another qr_base_url (the logo beside them)."""
    (tmp_path / "logo.svg").write_bytes((CLINIC.parent / "logo.svg").read_bytes())
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text(CLINIC.read_text().replace(f"qr_base_url: {BASE}", f"qr_base_url: {base}"))
    return clinic


def page_of(site_dir: Path, url: str) -> Path:
    """The file a static web server answers an address of the site with."""
    assert url.startswith(BASE), url
    relative = url[len(BASE) :]
    return (
        site_dir / relative / "index.html"
        if relative.endswith("/") or not relative
        else (site_dir / relative)
    )


@pytest.mark.parametrize("drug_id", ["blinatumomab", "inotuzumab-ozogamicin"])
def test_every_qr_code_opens_its_page_in_the_documents_language(site, drug_id):
    """For every language, card and handout: the code, decoded from the printed page,
    opens a page of the built site in the document's language and direction, for the
    version it was printed from, showing the same boxed warnings as the handout."""
    out, _ = site
    drug = next(d for d in load_all(CONTENT_DIR) if d.id == drug_id)
    clinic = load_clinic(CLINIC)
    version = drug.drug.content_version
    checked = []
    for lang in available_languages(drug.path.parent):
        localized = localize(drug, lang, template_dirs=())
        titles = [clean(w.title) for w in localized.drug.boxed_warnings]
        handout_text = clean(pdf_text((out / drug_id / lang / "handout.pdf").read_bytes()))
        for kind in ("handout", "card-id1"):  # the clinic's card stock is ID-1
            pdf = (out / drug_id / lang / f"{kind}.pdf").read_bytes()
            codes = decode_qr_codes(pdf, dpi=200)
            assert codes == [f"{BASE}{drug_id}/{lang}/{version}/"], (lang, kind, codes)
            page = read_page(page_of(out, codes[0]))
            assert (page.lang, page.dir) == (lang, direction(lang)), (lang, kind)
            assert page.section_headings("boxed-warning")[1:] == titles, (lang, kind)
            assert page.section_headings("printed-notice"), (lang, kind)  # "up to date"
        if lang not in SHAPED:
            for title in titles:
                assert title in handout_text, (lang, title)
        checked.append(lang)
    assert len(checked) == 16
    assert clinic.clinic.qr_base_url == BASE.rstrip("/")


def test_the_page_of_an_earlier_version_says_what_changed_since(site):
    out, _ = site
    drug = next(d for d in load_all(CONTENT_DIR) if d.id == "blinatumomab")
    for lang in ("en", "es", "ar", "zh-Hans"):
        localized = localize(drug, lang).drug
        old = (out / "blinatumomab" / lang / "1.0.0" / "index.html").read_text("utf-8")
        current = (out / "blinatumomab" / lang / "1.1.0" / "index.html").read_text("utf-8")
        plain = (out / "blinatumomab" / lang / "index.html").read_text("utf-8")
        notice = clean(old.split('class="notice printed-notice"')[1].split("</section>")[0])
        for item in localized.changes[1].items:  # 1.1.0's, in the page's language
            assert clean(item) in notice, (lang, item)
        assert clean(localized.changes[0].items[0]) not in notice  # 1.0.0's own: not since
        assert "1.0.0" in notice and "1.1.0" in notice
        assert "printed-notice" in current and 'class="notice printed-notice"' not in plain
        assert read_page(out / "blinatumomab" / lang / "1.0.0" / "index.html").lang == lang
    english = clean((out / "blinatumomab/en/1.1.0/index.html").read_text("utf-8"))
    assert "Your paper is up to date" in english
    assert "Nothing has changed since it was printed." in english


def test_the_index_names_every_language_in_its_own_script(site):
    out, _ = site
    index = read_page(out / "index.html")
    links = [link for link in index.links if link.get("hreflang")]
    assert len(links) == 32  # 2 drugs x 16 languages
    for link in links:
        target = out / link["href"]
        assert target.is_file(), link
        assert read_page(target).lang == link["lang"] == link["hreflang"]
    html = (out / "index.html").read_text("utf-8")
    for name in ("Español", "العربية", "中文", "Русский", "हिन्दी", "한국어", "日本語"):
        assert name in html


def test_a_page_offers_its_languages_pdfs(site):
    out, _ = site
    html = (out / "blinatumomab/ru/1.0.0/index.html").read_text("utf-8")
    assert 'href="../handout.pdf"' in html and 'href="../card-id1.pdf"' in html
    assert (out / "blinatumomab/ru/handout.pdf").is_file()
    assert (out / "blinatumomab/ru/card-id1.pdf").is_file()


def test_a_rebuild_with_nothing_changed_rewrites_nothing(site):
    out, _ = site
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in out.rglob("*") if p.is_file()}
    result = run_cli("site", "--out", out, "--clinic", CLINIC)
    assert result.returncode == 0, result.stderr
    assert "0 built, 64 unchanged" in result.stdout
    assert "web edition: 98 pages: 0 written, 98 unchanged" in result.stdout
    after = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_a_new_version_updates_the_pages_behind_every_printed_code(tmp_path):
    """A label update: content 1.2.0 with what changed. The page a 1.1.0 paper opens now
    says so, a 1.2.0 page appears, and new papers carry its address."""
    content = copied_blinatumomab(tmp_path)
    out = tmp_path / "site"
    first = run_cli("site", "--content", content, "--lang", "en", "--clinic", CLINIC, "--out", out)
    assert first.returncode == 0, first.stderr
    yaml = content / "blinatumomab" / "drug.yaml"
    text = yaml.read_text()
    yaml.write_text(
        text.replace('content_version: "1.1.0"', 'content_version: "1.2.0"').replace(
            "\nnames:\n",
            '\n  - version: "1.2.0"\n    date: 2026-12-20\n    items:\n'
            "      - A made-up change for this test.\nnames:\n",
            1,
        )
    )
    second = run_cli("site", "--content", content, "--lang", "en", "--clinic", CLINIC, "--out", out)
    assert second.returncode == 0, second.stderr
    older = clean((out / "blinatumomab/en/1.1.0/index.html").read_text("utf-8"))
    assert "This information changed after your paper was printed" in older
    assert "A made-up change for this test." in older
    assert (out / "blinatumomab/en/1.2.0/index.html").is_file()
    assert decode_qr_codes((out / "blinatumomab/en/card-id1.pdf").read_bytes(), dpi=200) == [
        f"{BASE}blinatumomab/en/1.2.0/"
    ]


def test_a_version_raised_without_saying_what_changed_is_refused(tmp_path):
    content = copied_blinatumomab(tmp_path)
    yaml = content / "blinatumomab" / "drug.yaml"
    yaml.write_text(yaml.read_text().replace('content_version: "1.1.0"', 'content_version: "1.2"'))
    result = run_cli("check", "--content", content)
    assert result.returncode == 1
    line = next(
        i
        for i, text in enumerate(yaml.read_text().splitlines(), 1)
        if text.strip() == '- version: "1.1.0"'
    )
    assert (
        f"drug.yaml:{line}:14: changes[1].version: the last entry is version 1.1.0, but "
        "content_version is 1.2; add an entry for 1.2 at the end, with its date and what "
        "changed for patients"
    ) in result.stderr


def test_versions_out_of_order_are_refused(tmp_path):
    content = copied_blinatumomab(tmp_path)
    yaml = content / "blinatumomab" / "drug.yaml"
    yaml.write_text(yaml.read_text().replace('- version: "1.0.0"', '- version: "1.1.0"', 1))
    result = run_cli("check", "--content", content)
    assert result.returncode == 1
    assert (
        "changes[1].version: version 1.1.0 comes after 1.1.0; list each version once, "
        "oldest first, and add a new one at the end"
    ) in result.stderr


def test_a_blocked_translation_is_not_published_and_its_page_says_so(tmp_path):
    """A critical string gone stale: Spanish is neither printed nor published; its page
    (and the pages its papers' codes open) point to English, and the index leaves it out."""
    content = copied_blinatumomab(tmp_path)
    yaml = content / "blinatumomab" / "drug.yaml"
    yaml.write_text(
        yaml.read_text().replace("Fever or chills (a fever", "Fever, or chills (a fever")
    )
    out = tmp_path / "site"
    result = run_cli(
        "site",
        "--content",
        content,
        "--lang",
        "es",
        "--lang",
        "en",
        "--allow-fallback",
        "--out",
        out,
    )
    assert result.returncode == 1  # a document was not built: the clinic must act
    assert "blinatumomab [es] not published" in result.stderr
    assert not (out / "blinatumomab/es/handout.pdf").exists()
    for path in ("blinatumomab/es/index.html", "blinatumomab/es/1.0.0/index.html"):
        page = read_page(out / path)
        # In Spanish: the template strings are all translated, only the content is stale.
        assert (page.lang, page.headings[0][1]) == ("es", clean(spanish(UNAVAILABLE) % NAME))
        english = [link for link in page.links if link.get("hreflang") == "en"]
        assert english and all((out / path).parent.joinpath(e["href"]).is_file() for e in english)
    index = (out / "index.html").read_text("utf-8")
    assert 'hreflang="es"' not in index and 'hreflang="en"' in index


def test_without_a_published_site_the_code_keeps_the_content_address(tmp_path):
    out = tmp_path / "site"
    result = run_cli("site", "blinatumomab", "--lang", "es", "--out", out)
    assert result.returncode == 0, result.stderr
    pdf = (out / "blinatumomab/es/card.pdf").read_bytes()
    assert decode_qr_codes(pdf, dpi=200) == ["https://www.blincyto.com/"]
    handout = clean(pdf_text((out / "blinatumomab/es/handout.pdf").read_bytes()))
    assert clean(spanish(MAKERS_PAGE) % NAME) in handout
    assert clean(spanish(WEB_EDITION)) not in handout


def test_a_published_sites_code_is_explained_as_such(site):
    out, _ = site
    handout = clean(pdf_text((out / "blinatumomab/es/handout.pdf").read_bytes()))
    assert clean(spanish(WEB_EDITION)) in handout
    assert clean(spanish(MAKERS_PAGE) % NAME) not in handout


UNAVAILABLE = "%(drug)s: not available in this language yet"
MAKERS_PAGE = (
    "Scan the code with a phone camera to open the full prescribing information for %(drug)s."
)
WEB_EDITION = (
    "Scan the code with a phone camera to read this information online in your language, "
    "and to see if anything changed since it was printed."
)
NAME = {"drug": "Blinatumomab"}


def spanish(message: str) -> str:
    from handouts.template_strings import load_template_translation

    return load_template_translation("es").strings[(None, message)]


# Served: the same pages at the same paths ---------------------------------------------


def served(clinic=CLINIC, policy=None):
    from handouts.batch import InlineExecutor
    from handouts.web import create_app

    settings = load_clinic(clinic) if clinic else None
    web = create_app(CONTENT_DIR, InlineExecutor(), settings, policy=policy).test_client()
    web.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # a patient's phone, not loopback
    return web


def test_serve_answers_every_page_with_the_bytes_the_site_holds(site):
    out, _ = site
    web = served()
    pages = sorted(p for p in out.rglob("*") if p.suffix in (".html", ".css"))
    assert len(pages) == 98
    for path in pages:
        relative = path.relative_to(out).as_posix()
        response = web.get("/" + relative)
        assert response.status_code == 200, relative
        assert response.data == path.read_bytes(), relative
        if relative.endswith("/index.html") and relative.count("/") >= 2:
            folder = web.get("/" + relative.removesuffix("index.html"))
            assert folder.data == response.data, relative


def test_served_pages_are_public_cacheable_and_keep_the_security_headers(token_file):
    from handouts.access import make_policy
    from handouts.web import SECURITY_HEADERS

    policy = make_policy("0.0.0.0", token_file, None, (), ("handouts.riverside.example",))
    web = served(policy=policy)
    host = {"Host": "handouts.riverside.example"}
    assert web.get("/", headers=host).status_code == 401  # the discharge page: signed in
    page = web.get("/blinatumomab/ar/1.0.0/", headers=host)
    assert page.status_code == 200  # the page a patient's code opens: no sign-in
    assert page.headers["Cache-Control"] == "public, max-age=300"
    assert "Pragma" not in page.headers
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert page.headers[name] == SECURITY_HEADERS[name]
    again = web.get(
        "/blinatumomab/ar/1.0.0/", headers={**host, "If-None-Match": page.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    pdf = web.get("/blinatumomab/ar/card-id1.pdf", headers=host)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "public, max-age=300"
    assert decode_qr_codes(pdf.data, dpi=200) == [f"{BASE}blinatumomab/ar/1.1.0/"]
    for missing in (
        "/blinatumomab/ar/2.0.0/",  # not printed yet
        "/blinatumomab/ar/01.1/",  # not how a version is written
        "/blinatumomab/xx/",
        "/blinatumomab/ar/manifest.pdf",
    ):
        response = web.get(missing, headers=host)
        assert response.status_code == 404, missing
        assert response.headers["Cache-Control"] == "no-store", missing
    # A version printed before versions were recorded: the current page, with the notice.
    unrecorded = web.get("/blinatumomab/ar/0.9/", headers=host)
    assert unrecorded.status_code == 200 and b'class="notice printed-notice"' in unrecorded.data
    # Addresses of no medicine are the service's own: signed in only.
    for other in ("/nodrug/en/", "/api/nowhere"):
        assert web.get(other, headers=host).status_code == 401, other
        assert served().get(other).status_code == 404, other


@pytest.fixture(scope="module")
def token_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "token"
    path.write_text("k3Xq9-" + "t" * 40 + "\n")
    return path


def test_a_site_under_a_path_is_served_under_that_path(tmp_path):
    web = served(clinic_publishing_at(tmp_path, "https://www.riverside.example/patients/medicines"))
    for path in ("/patients/medicines/", "/patients/medicines/index.html"):
        assert web.get(path).status_code == 200, path
    page = web.get("/patients/medicines/inotuzumab-ozogamicin/vi/1.1.0/")
    assert page.status_code == 200
    assert b'href="../../../site.css"' in page.data
    assert web.get("/patients/medicines/site.css").mimetype == "text/css"
    assert web.get("/inotuzumab-ozogamicin/vi/1.1.0/").status_code == 404
    assert web.get("/").status_code == 200  # the discharge page keeps the root


def test_a_page_offers_the_documents_the_build_made(tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "build", "blinatumomab", "--lang", "es", "--stock", "print-shop", "--site", "--out", out
    )
    assert result.returncode == 0, result.stderr
    html = (out / "blinatumomab/es/index.html").read_text("utf-8")
    assert 'href="handout.pdf"' in html and 'href="card-print-shop.pdf"' in html
    assert (out / "blinatumomab/es/card-print-shop.pdf").is_file()


def test_a_drug_named_like_the_services_own_address_needs_a_site_path(tmp_path):
    from handouts.batch import InlineExecutor
    from handouts.errors import HandoutsError
    from handouts.web import create_app

    shutil.copytree(FIXTURES / "valid" / "testdrug", tmp_path / "content" / "api")
    with pytest.raises(HandoutsError, match="drug id 'api' is also the address of the service"):
        create_app(tmp_path / "content", InlineExecutor())


def test_handouts_serve_answers_a_printed_code(tmp_path, site):
    """The real server (waitress): the address a Korean card's code holds, as a phone
    asks for it, is the page the static site holds."""
    import urllib.request

    from .conftest import running_server

    out, _ = site
    code = decode_qr_codes((out / "blinatumomab/ko/card-id1.pdf").read_bytes(), dpi=200)[0]
    with running_server(tmp_path, "--clinic", CLINIC) as (url, log, _):
        with urllib.request.urlopen(url + "/" + code[len(BASE) :], timeout=30) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "public, max-age=300"
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.read() == (out / "blinatumomab/ko/1.1.0/index.html").read_bytes()
        # The codes name a host this loopback service does not answer to: it says so.
        assert (
            "Warning: the clinic's qr_base_url names the host handouts.riverside.example, "
            "which this service does not answer to"
        ) in log.read_text()


def test_pages_a_rebuild_would_not_write_stop_showing_old_content(tmp_path):
    """A language removed from the content, and a version printed before versions were
    recorded: their pages from an earlier build are rewritten, never left as they were."""
    content = copied_blinatumomab(tmp_path)
    out = tmp_path / "site"
    first = run_cli("site", "--content", content, "--lang", "en", "--lang", "fr", "--out", out)
    assert first.returncode == 0, first.stderr
    unrecorded = out / "blinatumomab/en/0.9/index.html"
    unrecorded.parent.mkdir()
    unrecorded.write_text("old content")
    for po in (content / "blinatumomab/locale").glob("*.po"):  # only English is left
        po.unlink()
    second = run_cli("site", "--content", content, "--out", out)
    assert second.returncode == 0, second.stderr
    older = clean(unrecorded.read_text("utf-8"))
    assert "This information changed after your paper was printed" in older
    assert (
        "Your paper was printed from version 0.9. This page shows the current version, 1.1.0."
        in older
    )
    for path in ("blinatumomab/fr/index.html", "blinatumomab/fr/1.0.0/index.html"):
        page = read_page(out / path)
        assert page.headings[0][1] == clean(french(UNAVAILABLE) % NAME), page.headings
        english = [link for link in page.links if link.get("hreflang") == "en"]
        assert english and all((out / path).parent.joinpath(e["href"]).is_file() for e in english)
    assert 'hreflang="fr"' not in (out / "index.html").read_text("utf-8")


def french(message: str) -> str:
    from handouts.template_strings import load_template_translation

    return load_template_translation("fr").strings[(None, message)]


def test_english_fallback_is_published_marked(tmp_path):
    """--allow-fallback: a non-critical string not translated yet is published in English,
    in an element of its own language and direction, after the page's notice."""
    content = copied_blinatumomab(tmp_path)
    edit_entry(content, "ar", "how_it_works.summary", "")
    out = tmp_path / "site"
    args = ("site", "--content", content, "--lang", "ar", "--out", out)
    refused = run_cli(*args)
    assert refused.returncode == 1 and "not published" in refused.stderr
    result = run_cli(*args, "--allow-fallback")
    assert result.returncode == 0, result.stderr
    html = (out / "blinatumomab/ar/index.html").read_text("utf-8")
    english = " ".join(load_all(content)[0].drug.how_it_works.summary.split())
    assert f'<p  lang="en" dir="ltr" class="fallback">{english}</p>' in html
    assert html.count('class="fallback"') == 1 and 'class="notice fallback-notice"' in html


def test_a_long_site_address_fits_the_card_and_reads_left_to_right(tmp_path):
    """A clinic's web edition under a long path: the code drops to error correction M to
    keep its modules scannable, and the printed address wraps, left to right on each of its
    lines in an Arabic card too."""
    from .pdftext import visual_lines

    base = "https://patient-education.riverside-university-hospital.example/patients/medicines"
    clinic = clinic_publishing_at(tmp_path, base)
    out = tmp_path / "out"
    args = ("build", "inotuzumab-ozogamicin", "--lang", "ar", "--lang", "zh-Hans")
    result = run_cli(*args, "--kind", "card", "--clinic", clinic, "--out", out)
    assert result.returncode == 0, result.stderr
    for lang in ("ar", "zh-Hans"):
        pdf = (out / f"inotuzumab-ozogamicin/{lang}/card-id1.pdf").read_bytes()
        url = f"{base}/inotuzumab-ozogamicin/{lang}/1.1.0/"
        assert decode_qr_codes(pdf, dpi=200) == [url]
        lines = [line for line in visual_lines(pdf) if "riverside-university" in line]
        assert lines == [url[: len(lines[0])]], lines  # the first line, in reading order
        assert any(line.endswith(url[len(lines[0]) :]) for line in visual_lines(pdf))


def test_a_site_address_too_long_for_any_code_names_the_setting(tmp_path):
    base = "https://www.riverside.example/" + "patient-education/" * 8 + "medicines"
    clinic = clinic_publishing_at(tmp_path, base)
    result = run_cli(
        "build",
        "blinatumomab",
        "--lang",
        "en",
        "--kind",
        "card",
        "--clinic",
        clinic,
        "--out",
        tmp_path / "out",
    )
    assert result.returncode == 1
    assert "(minimum 0.4 mm); shorten qr_base_url in " in result.stderr
    assert "(the web edition's address is it followed by /<drug>/<lang>/<version>/)" in (
        result.stderr
    )


SITE_ON_A_SMALL_DISK = r"""
mount -t tmpfs -o size=110k tmpfs "$DISK" || exit 77
site() {
    "$PYTHON" -m handouts site blinatumomab --lang en --out "$DISK/site" \
        >"$LOGS/$1.out" 2>"$LOGS/$1.err"
    echo $? >"$LOGS/$1.rc"
}
site full
ls -a "$DISK/site/blinatumomab/en" > "$LOGS/full.ls"
mount -o remount,size=4m "$DISK"
site again
cat "$DISK/site/blinatumomab/en/1.0.0/index.html" > "$LOGS/page.html"
"""


def test_a_full_disk_while_writing_pages_is_one_message_and_a_rerun_finishes(tmp_path):
    """The documents fit, the pages do not: one message, no half page, and the same
    command finishes the web edition once there is room."""
    from .conftest import in_mount_namespace

    disk, logs = tmp_path / "disk", tmp_path / "logs"
    disk.mkdir()
    logs.mkdir()
    in_mount_namespace(SITE_ON_A_SMALL_DISK, DISK=str(disk), LOGS=str(logs))
    assert (logs / "full.rc").read_text().strip() == "1"
    assert "2 documents: 2 built" in (logs / "full.out").read_text()
    error = (logs / "full.err").read_text().splitlines()
    assert error[-1] == (
        f"Error: out of disk space writing to {disk}/site; the documents are written; of the "
        "web edition, each page is there whole or not at all. Free some space, then run the "
        "same command again: the documents already written are kept (listed in "
        f"{disk}/site/manifest.json) and the rest are built"
    )
    assert "Traceback" not in (logs / "full.err").read_text()
    assert not [name for name in (logs / "full.ls").read_text().split() if name.endswith(".tmp")]
    assert (logs / "again.rc").read_text().strip() == "0"
    assert "0 built, 2 unchanged" in (logs / "again.out").read_text()
    assert (
        "This information changed after your paper was printed" in (logs / "page.html").read_text()
    )


def test_a_partial_build_keeps_the_other_pages_in_the_index_and_language_lists(tmp_path):
    out = tmp_path / "site"
    for args in (
        ("blinatumomab", "--lang", "en", "--lang", "es"),
        ("blinatumomab", "--lang", "de"),
        ("inotuzumab-ozogamicin", "--lang", "en"),
    ):
        result = run_cli("site", *args, "--out", out)
        assert result.returncode == 0, result.stderr
    index = read_page(out / "index.html")
    listed = sorted(link["href"] for link in index.links if link.get("hreflang"))
    assert listed == [
        "blinatumomab/de/index.html",
        "blinatumomab/en/index.html",
        "blinatumomab/es/index.html",
        "inotuzumab-ozogamicin/en/index.html",
    ]
    german = read_page(out / "blinatumomab/de/index.html")
    assert sorted(link["hreflang"] for link in german.links if link.get("hreflang")) == [
        "de",
        "en",
        "es",
    ]


def test_a_broken_drug_is_reported_once_and_the_others_are_published(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid" / "testdrug", content / "testdrug")
    shutil.copytree(FIXTURES / "valid" / "testdrug", content / "brokendrug")
    yaml = content / "brokendrug" / "drug.yaml"
    yaml.write_text(yaml.read_text().replace("summary: Testdrug", "summary: 5 #", 1))
    (content / "testdrug" / "assets").mkdir()
    (content / "testdrug" / "assets" / "index.html").write_text("not ours")
    out = tmp_path / "site"
    (out / "testdrug" / "assets").mkdir(parents=True)
    (out / "testdrug" / "assets" / "index.html").write_text("not ours")
    result = run_cli("build", "--all", "--site", "--content", content, "--out", out)
    assert result.returncode == 1
    assert result.stderr.count("brokendrug/drug.yaml") == 1, result.stderr
    assert result.stderr.splitlines()[-1] == "Error: 1 drug with broken content; see above"
    assert "web edition: 4 pages: 4 written" in result.stdout
    assert (out / "testdrug/en/0.1.0/index.html").is_file()
    assert (out / "testdrug/assets/index.html").read_text() == "not ours"  # not a language


def test_serve_follows_a_translation_that_changes_while_it_runs(tmp_path):
    """A critical string's translation marked for review while the service runs: the
    page a patient's code opens stops showing it at once, as printing does."""
    import os

    from handouts.batch import InlineExecutor
    from handouts.web import create_app

    content = copied_blinatumomab(tmp_path)
    web = create_app(content, InlineExecutor()).test_client()
    before = web.get("/blinatumomab/es/1.1.0/")
    assert before.status_code == 200 and b"printed-notice" in before.data
    edit_entry(content, "es", "boxed_warnings[0].title")
    catalogue = content / "blinatumomab/locale/es.po"
    stat = catalogue.stat()
    os.utime(catalogue, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = web.get("/blinatumomab/es/1.1.0/")
    assert after.status_code == 200
    assert clean(spanish(UNAVAILABLE) % NAME) in clean(after.data.decode())
    assert web.get("/blinatumomab/es/card.pdf").status_code == 404  # not published


def test_a_change_note_not_yet_translated_never_stops_printing(tmp_path):
    """changes: is shown only on the web: its missing translation is published in English,
    marked, and the handout in that language still prints, without an EN notice."""
    content = copied_blinatumomab(tmp_path)
    edit_entry(content, "de", "changes[1].items[0]", "")
    out = tmp_path / "site"
    result = run_cli("site", "--content", content, "--lang", "de", "--out", out)
    assert result.returncode == 0, result.stderr
    handout = clean(pdf_text((out / "blinatumomab/de/handout.pdf").read_bytes()))
    assert "EN" not in handout.split()
    html = (out / "blinatumomab/de/1.0.0/index.html").read_text("utf-8")
    english = load_all(content)[0].drug.changes[1].items[0]
    assert f'<li  lang="en" dir="ltr" class="fallback">{" ".join(english.split())}</li>' in html
    assert 'class="notice fallback-notice"' in html


@pytest.mark.parametrize(
    "address",
    [
        "https://www.riverside.example/med?src=qr",
        "https://x.example/a%20b",
        "https://x.example/#top",
    ],
)
def test_a_site_address_with_a_query_or_escapes_is_refused(tmp_path, address):
    clinic = clinic_publishing_at(tmp_path, address)
    result = run_cli("site", "--lang", "en", "--clinic", clinic, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert f"{clinic}:7:14: qr_base_url: must be a plain https:// address" in result.stderr
    assert not (tmp_path / "out").exists()
