"""What a document is made from, as one hash: unchanged inputs mean an unchanged PDF.

Everything that can change a document's bytes goes in: its drug's content and the
translation catalogues for its language, every template and the stylesheet, every font,
the options, the clinic settings, and the versions of handouts and WeasyPrint.
"""

import hashlib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from . import __version__
from .locations import FONTS_DIR, TEMPLATES_DIR, content_catalog_path, find_template_catalog


@cache
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    if not path.is_file():
        return "absent"
    stat = path.stat()
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


def tree_digest(folder: Path, skip: str = "") -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and not (skip and p.relative_to(folder).parts[0] == skip)):
        digest.update(f"{path.relative_to(folder)}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


@cache
def _software() -> str:
    """handouts' version, and WeasyPrint's and pydyf's by the digest of their __init__.py,
    which states their version. Found without importing them (or importlib.metadata, a
    quarter of a no-change rebuild's time)."""
    parts = [f"handouts {__version__}"]
    for name in ("weasyprint", "pydyf"):
        parts.append(f"{name} {file_digest(Path(find_spec(name).origin))}")
    return "; ".join(parts)


def shared_inputs(template_dirs: tuple[Path, ...] = ()) -> str:
    """The inputs every document shares: software, templates, fonts. Work it out once per
    batch and hand it to input_hash."""
    digest = hashlib.sha256(_software().encode())
    for folder in (*template_dirs, TEMPLATES_DIR):
        # Catalogues are counted per language in input_hash, so one language's edit stays
        # local to that language.
        digest.update(tree_digest(Path(folder), skip="locale").encode())
    digest.update(tree_digest(FONTS_DIR).encode())
    return digest.hexdigest()


def input_hash(job, template_dirs: tuple[Path, ...] = (), shared: str | None = None) -> str:
    digest = hashlib.sha256()

    def add(label: str, value: str) -> None:
        digest.update(f"{label}\0{value}\n".encode())

    add("shared", shared or shared_inputs(template_dirs))
    add("options", repr((job.kind, job.paper, job.stock, job.large_print, job.pdfa, job.count,
                         job.allow_fallback)))
    for drug, lang in job.slots or ((job.drug, job.lang),):
        add(f"content {drug.id}", file_digest(drug.path))
        if lang != "en":
            add(f"catalog {drug.id} {lang}", file_digest(content_catalog_path(drug.path.parent, lang)))
            add(f"templates catalog {lang}", file_digest(find_template_catalog(lang, template_dirs)))
    if job.clinic:
        add("clinic", file_digest(job.clinic.path))
        add("logo", job.clinic.logo_data_uri or "")
    return digest.hexdigest()
