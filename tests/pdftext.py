"""Reading a PDF's text as a reader's eye meets it: line by line, left to right, from the
characters' positions on the page (pdfium gives them in the order they were written)."""

import ctypes
import re

import pypdfium2


def visual_lines(pdf: bytes) -> list[str]:
    """Each printed line's characters from left to right, top to bottom, page after page.

    Right-to-left text comes out mirrored (its letters from left to right), so a test can
    tell whether a left-to-right run such as a web address kept its own order."""
    lines = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        textpage = page.get_textpage()
        rows: dict[int, list[tuple[float, str]]] = {}
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            left, _, right, _ = textpage.get_charbox(index)
            x, y = ctypes.c_double(), ctypes.c_double()  # the glyph's origin, on its baseline
            pypdfium2.raw.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
            if char.strip() or right - left > 0.01:
                rows.setdefault(round(y.value), []).append((left, char))
        lines += ["".join(c for _, c in sorted(rows[key])) for key in sorted(rows, reverse=True)]
    document.close()
    return lines


# A bracket's glyph serves both ways round: drawn mirrored in right-to-left text, the
# PDF's text layer may name it by its mirror image (")east(" for a correctly printed
# "(east)"). Comparisons read every round bracket as "(".
_BRACKETS = str.maketrans(")", "(")


def squash(text: str) -> str:
    """Text without its white space, every bracket as "(": to compare text that wraps."""
    return "".join(text.split()).translate(_BRACKETS)


def opening(text: str, length: int = 12) -> str:
    """The first words of text, at least length characters of them (or all of it)."""
    words = text.split()
    for count in range(1, len(words) + 1):
        start = " ".join(words[:count])
        if len(start) >= length:
            return start
    return " ".join(words)


def closing(text: str, length: int = 12) -> str:
    """The last words of text, at least length characters of them (or all of it)."""
    return " ".join(reversed(opening(" ".join(reversed(text.split())), length).split()))


def marked(lines: list[str], text: str, length: int = 12) -> bool:
    """Whether some line reads the EN mark and, right after it to its right, the opening
    words of text: English printed with its mark, in left-to-right order."""
    pattern = re.compile(r"(?<![A-Z])EN" + re.escape(squash(opening(text, length))))
    return any(pattern.search(squash(line)) for line in lines)


def char_boxes(pdf: bytes, page_index: int = 0):
    """(character, (left, bottom, right, top), baseline y) for each character of a page."""
    document = pypdfium2.PdfDocument(pdf)
    page = document[page_index]
    textpage = page.get_textpage()
    chars = []
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(textpage.count_chars()):
        pypdfium2.raw.FPDFText_GetCharOrigin(textpage.raw, i, ctypes.byref(x), ctypes.byref(y))
        chars.append((textpage.get_text_range(i, 1), textpage.get_charbox(i), round(y.value, 1)))
    width = page.get_width()
    document.close()
    return chars, width
