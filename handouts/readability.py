"""Reading level of the patient text, so plain language stays plain.

English uses the Flesch-Kincaid grade; a handout must stay at grade 8 or below (aim for
6). Other languages get the formula textstat has for them, reported for information.
Drug and brand names, and the medical names listed under ``terms``, are left out: they
are long words the patient cannot avoid.
"""

import re
from dataclasses import dataclass

import textstat

from .languages import FORMULAS, language
from .schema import Drug

MAX_ENGLISH_GRADE = 8.0


@dataclass(frozen=True)
class Reading:
    document: str
    formula: str
    score: float
    meaning: str

    def __str__(self) -> str:
        return f"{self.document}: {self.formula} {self.score:.1f} ({self.meaning})"


def unavoidable_names(drug: Drug) -> re.Pattern[str]:
    """Drug names and listed medical terms, as whole words in any case.

    "Whole" against Latin letters and digits only: in Chinese or Japanese text a brand
    name touches the letters around it.
    """
    names = [drug.names.generic, *(brand.name for brand in drug.names.brands), *drug.terms]
    # Longest first, so that "acute lymphoblastic leukemia" goes before "leukemia".
    names.sort(key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])", re.IGNORECASE)


def english_grade(pieces: list[str]) -> float | None:
    """Flesch-Kincaid grade of English text given as pieces, each at least one sentence.

    textstat's own sentence count skips "sentences" of one or two words, so a list of
    short symptoms would count as one long sentence; here every list item and title is
    a sentence, as the reader meets it. Words and syllables are counted by textstat.
    """
    pieces = [p for p in pieces if p.strip()]
    text = " ".join(pieces)
    words = textstat.lexicon_count(text)
    if not words:
        return None
    sentences = sum(max(1, textstat.sentence_count(p)) for p in pieces)
    syllables = textstat.syllable_count(text)
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def patient_text(drug: Drug, strings: list[tuple[str, str]], kind: str) -> str:
    """The sentences a patient reads in one kind of document, unavoidable names removed."""
    pattern = unavoidable_names(drug)
    sentences = []
    for path, text in strings:
        if path == "names.pronunciation" or (kind == "card") != path.startswith("card."):
            continue
        text = pattern.sub("", text).strip(" ,;")
        # List items and titles are read as sentences of their own.
        sentences.append(text if text.endswith((".", "!", "?", "。", "؟", "।")) else text + ".")
    return " ".join(sentences)


def reading_level(text: str, lang: str, document: str) -> Reading | None:
    function = language(lang).readability
    if not function or not text:
        return None
    name, meaning = FORMULAS[function]
    textstat.set_lang(language(lang).locale.split("_")[0])
    try:
        args = (1,) if function == "wiener_sachtextformel" else ()
        return Reading(document, name, float(getattr(textstat, function)(text, *args)), meaning)
    finally:
        textstat.set_lang("en")
