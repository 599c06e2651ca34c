"""The web edition in a real browser: accessible, readable on a phone, script-free and
self-contained, for every page that `handouts site` writes.

The site is built once by the real command line and opened from disk (file:// URLs) in
Debian's chromium through Playwright; nothing is served and nothing goes to the network.
"""

from pathlib import Path

import pytest

from handouts.content import load_all
from handouts.locations import CONTENT_DIR
from handouts.site import Site

from .chromium import CHROMIUM, LAUNCH_ARGS
from .conftest import FIXTURES, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Languages written right to left (Arabic, Hebrew, Thaana, Syriac scripts): the test's
# own list, so that a registry that got a direction wrong does not go unnoticed.
RIGHT_TO_LEFT = {"ar", "arc", "ckb", "dv", "fa", "he", "ps", "sd", "syr", "ug", "ur", "yi"}
SOURCE_LANGUAGE = "en"  # the index is in it
DEFAULT_FONT_PX = 16  # Chromium's default "standard" font size
# Every line of text not within the viewport, on either side. The skip link is hidden
# until it is focused: SKIP_LINK_SHOWN checks it apart.
TEXT_OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const outside = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || node.parentElement.closest('.skip:not(:focus)')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const box of range.getClientRects()) {
      if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
        outside.push(`${JSON.stringify(node.data.trim().slice(0, 40))} at ` +
                     `${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
        break;
      }
    }
  }
  return outside;
}"""
# Whether any of the skip link is on screen: a box reaching into the viewport that is
# more than the 1 px square of a visually hidden element.
SKIP_LINK_SHOWN = """() => {
  const box = document.querySelector('.skip').getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  const hidden = box.width <= 1 && box.height <= 1;
  return !hidden && box.right > 0 && box.left < width && box.bottom > 0;
}"""
HEADINGS = "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The whole web edition, built once by the real command line."""
    out = tmp_path_factory.mktemp("site") / "site"
    result = run_cli("site", "--out", out, "--clinic", FIXTURES / "clinic" / "clinic.yaml")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def pages(site) -> list[str]:
    """Every page of the site, from its root: the ones the site says it has, each of them
    on disk, and no other page on disk."""
    expected = Site(load_all(CONTENT_DIR)).paths()
    on_disk = sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html"))
    assert sorted(expected) == on_disk
    assert len(on_disk) > 90  # two drugs, 16 languages, current page and two versions each
    return on_disk


@pytest.fixture(scope="module")
def current_pages(pages) -> list[str]:
    """The index and each drug's current page in each language (not the version pages)."""
    found = [p for p in pages if p.count("/") <= 2]
    assert "index.html" in found and "blinatumomab/ar/index.html" in found
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def new_page(browser, width: int, font_px: int | None = None, **options):
    """A page in a context of its own, `width` CSS px wide; with font_px, the browser's
    default font size set as a reader's font-size setting sets it (CDP Page.setFontSizes,
    the same setting Chromium's preferences change)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, **options)
    page = context.new_page()
    if font_px is not None:
        cdp = context.new_cdp_session(page)
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": font_px}})
    return page


def language_of(path: str) -> str:
    """The language tag of a page from its folder: DRUG/LANG/[VERSION/]index.html."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else SOURCE_LANGUAGE


def test_axe_finds_no_violation_on_any_page_at_phone_and_desktop_widths(browser, site, pages):
    """axe-core's rules (WCAG 2.x A/AA and best practice) on every page, at a phone's
    width and a desktop's, since the layout and so contrast, overlap and target sizes
    differ; every violation of every page is listed."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for width in (360, 1280):
        page = new_page(browser, width)
        for path in pages:
            page.goto((site / path).as_uri())
            results = axe.run(page)
            for violation in results.response["violations"]:
                nodes = violation["nodes"]
                more = f" (+{len(nodes) - 1} more)" if len(nodes) > 1 else ""
                found.append(
                    f"{width}px {path}: {violation['id']} ({violation['impact']}) "
                    f"at {' '.join(nodes[0]['target'])}{more}"
                )
        page.context.close()
    assert not found, f"{len(found)} violations:\n" + "\n".join(found)


def outside_the_viewport(page) -> list[str]:
    """What makes a reader scroll sideways on this page, or is cut off by the viewport."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    found = [f"scrolls sideways, {scroll} px wide in {client}"] if scroll > client else []
    return found + page.evaluate(TEXT_OUTSIDE)


@pytest.mark.parametrize("font_px", [DEFAULT_FONT_PX, 2 * DEFAULT_FONT_PX])
def test_no_horizontal_scrolling_at_320_px_even_with_text_at_200_percent(
    browser, site, current_pages, font_px
):
    """WCAG 1.4.10 reflow: at 320 CSS px nothing scrolls sideways. Zooming a 640 px
    window to 200 % lays the page out at 320 CSS px, which the default run covers; the
    second run is text-only zoom (1.4.4), emulated as a reader would set it: the browser's
    default font size at 32 px instead of 16, which the stylesheet's rem and em follow
    (media queries too), at 320 px wide. Then every line of text must also stay within
    the viewport, on both sides (in a right-to-left page what overflows on the right
    cannot be scrolled to, and scrollWidth does not count it), and the skip link must
    show nothing until it is focused (one moved off screen but wider than its offset
    pokes into view over the header), then all of itself."""
    page = new_page(browser, 320, font_px)
    problems = []
    for path in current_pages:
        page.goto((site / path).as_uri())
        root = page.evaluate("getComputedStyle(document.documentElement).fontSize")
        assert root == f"{font_px}px", f"{path}: root font size {root}"
        problems += [f"{path}: {problem}" for problem in outside_the_viewport(page)]
        if page.evaluate(SKIP_LINK_SHOWN):
            problems.append(f"{path}: the skip link shows before it is focused")
        page.keyboard.press("Tab")
        if not page.evaluate("document.activeElement.matches('.skip')"):
            problems.append(f"{path}: Tab does not focus the skip link first")
        elif not page.evaluate(SKIP_LINK_SHOWN):
            problems.append(f"{path}: the focused skip link is not on screen")
        problems += [f"{path} (skip link focused): {p}" for p in outside_the_viewport(page)]
    page.context.close()
    assert not problems, "\n".join(problems)


def test_text_follows_the_readers_font_size(browser, site):
    """A reader who sets the browser's font size to 150 % gets every text 1.5 times as
    large: body text, headings, the language list and small print. A size in px would
    stay the same."""
    path = site / "blinatumomab" / "en" / "1.0.0" / "index.html"
    sizes = {}
    for font_px in (DEFAULT_FONT_PX, DEFAULT_FONT_PX * 3 // 2):
        page = new_page(browser, 360, font_px)
        page.goto(path.as_uri())
        sizes[font_px] = page.evaluate(
            """() => [...document.body.querySelectorAll('*')]
                 .filter(e => [...e.childNodes].some(n => n.nodeType == 3 && n.data.trim()))
                 .map(e => [e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''),
                            parseFloat(getComputedStyle(e).fontSize)])"""
        )
        page.context.close()
    default, larger = sizes[DEFAULT_FONT_PX], sizes[DEFAULT_FONT_PX * 3 // 2]
    assert len(default) == len(larger) > 100
    paragraph = next(size for name, size in default if name == "p.summary")
    paragraph_larger = next(size for name, size in larger if name == "p.summary")
    assert paragraph_larger / paragraph == pytest.approx(1.5, abs=0.02)
    fixed = [
        f"{name}: {before} px -> {after} px"
        for (name, before), (_, after) in zip(default, larger, strict=True)
        if after / before != pytest.approx(1.5, abs=0.05)
    ]
    assert not fixed, "text that did not grow 1.5 times:\n" + "\n".join(fixed)


def test_language_switcher_works_without_javascript(browser, site, pages):
    """With script off, the language list is plain links: from the Spanish page of a
    version, Arabic opens the Arabic page of the same version, right to left. No page has
    a script element or an event handler attribute."""
    page = new_page(browser, 360, java_script_enabled=False)
    page.goto((site / "blinatumomab" / "es" / "1.0.0" / "index.html").as_uri())
    links = page.locator("nav#languages a")
    assert links.count() == page.locator("nav#languages li").count() > 1
    page.locator('nav#languages a[hreflang="ar"]').click()
    page.wait_for_load_state()
    assert page.url == (site / "blinatumomab" / "ar" / "1.0.0" / "index.html").as_uri()
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    scripted = []
    for path in pages:
        page.goto((site / path).as_uri())
        if page.locator("script").count():
            scripted.append(f"{path}: <script>")
        handlers = page.locator("xpath=//*[@*[starts-with(name(), 'on')]]").count()
        if handlers:
            scripted.append(f"{path}: {handlers} elements with on* attributes")
    page.context.close()
    assert not scripted, "\n".join(scripted)


def test_pages_load_nothing_from_another_site(browser, site):
    """Every request a page makes, its stylesheet included, is to a local file: no fonts,
    scripts, images or trackers from elsewhere."""
    page = new_page(browser, 1280)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in (
        "index.html",
        "blinatumomab/en/index.html",
        "blinatumomab/ar/index.html",
        "inotuzumab-ozogamicin/zh-Hans/index.html",
        "inotuzumab-ozogamicin/zh-Hans/1.0.0/index.html",
    ):
        page.goto((site / path).as_uri())
        page.wait_for_load_state("networkidle")
    page.context.close()
    assert (site / "site.css").as_uri() in requested  # the recording sees subresources
    elsewhere = [url for url in requested if not url.startswith(("file://", "data:"))]
    assert not elsewhere, elsewhere


@pytest.mark.parametrize(
    "path",
    ["blinatumomab/en/index.html", "blinatumomab/ar/1.0.0/index.html", "index.html"],
)
def test_print_stylesheet_drops_navigation_and_keeps_the_warnings(browser, site, path):
    """Printed from the browser, the page is the content: the language list and the link
    to it are not printed, the boxed warnings are."""
    page = new_page(browser, 1280)
    page.goto((site / path).as_uri())
    display = "e => getComputedStyle(e).display"
    nav = page.locator("nav#languages")
    if path == "index.html":  # the index is the list of languages itself
        page.emulate_media(media="print")
        assert nav.count() == 0 and page.locator("ul.language-list").first.is_visible()
    else:
        assert nav.evaluate(display) != "none"  # on screen, so hiding it is print's doing
        page.emulate_media(media="print")
        assert nav.evaluate(display) == "none"
        assert page.locator(".other-languages").evaluate(display) == "none"
        warnings = page.locator("section.boxed-warning")
        assert warnings.evaluate(display) != "none" and warnings.is_visible()
        assert page.locator("section.boxed-warning h3").first.is_visible()
    page.context.close()


def test_every_page_has_one_h1_no_skipped_heading_level_a_main_and_its_language(
    browser, site, pages
):
    """Screen reader users move by headings and landmarks, and the page's language picks
    the voice and the direction: one h1 first, each heading at most one level below the
    one before, one main landmark, html lang the folder's language, dir rtl only for
    right-to-left languages."""
    page = new_page(browser, 1280)
    problems = []
    for path in pages:
        page.goto((site / path).as_uri())
        levels = page.evaluate(HEADINGS)
        if levels.count(1) != 1:
            problems.append(f"{path}: {levels.count(1)} h1")
        previous = 0
        for level in levels:
            if level > previous + 1:
                problems.append(f"{path}: h{level} after h{previous or '(none)'}")
            previous = level
        mains = page.locator("main, [role=main]").count()
        if mains != 1:
            problems.append(f"{path}: {mains} main landmarks")
        lang = language_of(path)
        unavailable = page.locator("p.instead").count() > 0  # may be in English instead
        html = page.locator("html")
        page_lang, page_dir = html.get_attribute("lang"), html.get_attribute("dir")
        if page_lang != lang and not (unavailable and page_lang == SOURCE_LANGUAGE):
            problems.append(f"{path}: lang={page_lang!r}")
        if page_dir != ("rtl" if page_lang in RIGHT_TO_LEFT else "ltr"):
            problems.append(f"{path}: dir={page_dir!r} for lang={page_lang!r}")
    page.context.close()
    assert not problems, "\n".join(problems)
