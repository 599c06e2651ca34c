"""A patient's name in any script prints on a document in any language, with the bundled
fonts only, in its own reading order: asked for through the web API, read back from the
PDF's text, its glyph positions and its embedded fonts."""

import unicodedata

import pytest

from handouts.batch import InlineExecutor
from handouts.fonts import bundled_postscript_names
from handouts.locations import CONTENT_DIR
from handouts.verify import embedded_font_names
from handouts.web import create_app

from .conftest import pdf_text
from .pdftext import visual_lines

# (script, name, the start of the PostScript name of the font that must print it). The
# names are made up; each has the letters that set its script apart (Persian and Urdu
# letters, Vietnamese stacked marks, Ukrainian Ґ and Ї, a CJK Extension B character...).
# Latin letters Atkinson lacks come from the next font of the document's stack, which
# differs by language (Noto Sans, or the CJK font's own Latin): no font is named for them.
NAMES = [
    ("Vietnamese", "Nguyễn Thị Minh Khai", ""),
    ("Polish", "Łucja Wąsowska-Żółć", ""),
    ("Romanian", "Ștefan Țărână", ""),
    ("Turkish", "Şükrü Ağaoğlu İnce", ""),
    ("Yoruba", "Adébáyọ̀ Ọlábọ̀dé", ""),
    ("Gikuyu", "Wanjirũ Mũthoni Kĩmani", ""),
    ("Greek", "Ιωάννης Παπαδόπουλος", "NotoSans"),
    ("Ukrainian", "Олександра Ґалаґан-Їжак", "NotoSans"),
    ("Armenian", "Անի Հովհաննիսյան", "NotoSansArmenian"),
    ("Georgian", "ნინო ბერიძე", "NotoSansGeorgian"),
    ("Hebrew", "שרה לוי", "NotoSansHebrew"),
    ("Arabic", "فاطمة الزهراء", "NotoSansArabic"),
    ("Persian", "پریسا چگینی ژاله", "NotoSansArabic"),
    ("Urdu", "ٹیپو ڈار گڑیا", "NotoSansArabic"),
    ("Amharic", "አበበ ቢቂላ", "NotoSansEthiopic"),
    ("Hindi", "प्रिया शर्मा", "NotoSansDevanagari"),
    ("Bengali", "অমর্ত্য সেন", "NotoSansBengali"),
    ("Punjabi", "ਹਰਪ੍ਰੀਤ ਸਿੰਘ", "NotoSansGurmukhi"),
    ("Tamil", "கமலா தேவி", "NotoSansTamil"),
    ("Thai", "สมชาย ใจดี", "NotoSansThai"),
    ("Chinese simplified", "李小龙", "NotoSansCJK"),
    ("Chinese traditional", "李小龍", "NotoSansCJK"),
    ("Japanese", "渡邊 さくら", "NotoSansCJK"),
    ("Japanese, Extension B", "𠮷田 太郎", "NotoSansCJK"),
    ("Katakana", "タナカ ユキ", "NotoSansCJK"),
    ("Korean", "김민준", "NotoSansCJK"),
]
RIGHT_TO_LEFT = {"Hebrew", "Arabic", "Persian", "Urdu"}
# Scripts whose letters change shape or order in print (conjuncts, vowel signs before the
# consonant): pdfium's text layer cannot give them back as typed; their fonts and glyph
# count are checked instead.
SHAPED = {"Hindi", "Bengali", "Punjabi", "Tamil", "Thai"}
DOCUMENT_LANGUAGES = ["en", "es", "ar", "zh-Hans"]


@pytest.fixture(scope="module")
def client():
    app = create_app(CONTENT_DIR, InlineExecutor())
    app.testing = True
    return app.test_client()


@pytest.mark.slow
@pytest.mark.parametrize("lang", DOCUMENT_LANGUAGES)
def test_names_in_every_script_print_on_handout_and_card(client, lang):
    bundled = bundled_postscript_names()
    failures = []
    for script, name, family in NAMES:
        response = client.post(
            "/api/documents",
            json={
                "drug": "blinatumomab",
                "lang": lang,
                "kinds": ["handout", "card"],
                "personalization": {"patient_name": name},
            },
        )
        if response.status_code != 200:
            failures.append(f"{script}: {response.status_code} {response.get_json()}")
            continue
        pdf = response.data
        fonts = embedded_font_names(pdf)
        assert fonts <= bundled, (script, fonts - bundled)
        if family and not any(font.startswith(family) for font in fonts):
            failures.append(f"{script}: no {family} font embedded ({sorted(fonts)})")
        if script in SHAPED:
            continue
        text = unicodedata.normalize("NFC", pdf_text(pdf))
        if script in RIGHT_TO_LEFT:
            # In any document the name reads right to left as a whole: seen left to
            # right on the page, its letters come last to first, on the handout and the
            # card alike (pdfium gives Arabic letters in their joined forms: compare those).
            seen = [unicodedata.normalize("NFKC", line) for line in visual_lines(pdf)]
            backwards = name[::-1]
            if sum(backwards in line for line in seen) < 2:
                failures.append(f"{script}: name not in right-to-left order on both documents")
        elif text.count(name) < 2:
            failures.append(f"{script}: name not printed on both documents")
        elif lang == "ar" and not any(
            unicodedata.category(c) == "Mn" or c > "\uffff" for c in name
        ):
            # The reverse: a left-to-right name in a right-to-left line reads left to right.
            # (Not checked for combining marks, which have no place of their own, nor for
            # characters beyond U+FFFF, which pdfium counts as two.)
            if sum(name in line for line in visual_lines(pdf)) < 2:
                failures.append(f"{script}: name not in left-to-right order on both documents")
    assert not failures, "\n".join(failures)
