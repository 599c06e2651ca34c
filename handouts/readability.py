"""Reading level of the patient text, so plain language stays plain.

English uses the Flesch-Kincaid grade; a handout must stay at grade 8 or below (aim for
6). Other languages get the formula textstat has for them, reported for information.
Drug and brand names are left out: they are long words the patient cannot avoid.
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


def patient_text(drug: Drug, strings: list[tuple[str, str]], kind: str) -> str:
    """The sentences a patient reads in one kind of document, drug names removed."""
    names = [drug.names.generic] + [brand.name for brand in drug.names.brands]
    pattern = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE)
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
