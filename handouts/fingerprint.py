"""What a document is made from, as one hash: unchanged inputs mean an unchanged PDF.

Everything that can change a document's bytes goes in: its drug's content and the
translation catalogues for its language, handouts' own package (code, templates, the
language registry, fonts), a clinic's template folders, the options, the clinic settings,
every Python distribution installed beside handouts (so any change of the lock file, or an
upgrade by hand, counts), and the native libraries that lay out text (Pango, HarfBuzz,
fontconfig) and compress it (zlib).
"""

import ctypes
import hashlib
import sys
import zlib
from functools import cache
from pathlib import Path

from . import __version__
from .locations import (
    CLINIC_REGISTRY,
    FONTS_DIR,
    PACKAGE_DIR,
    content_catalog_path,
    find_template_catalog,
)

# Not inputs: the sample content is counted per drug, catalogues per language, and
# compiled bytecode follows the code it is compiled from.
_PACKAGE_SKIP = {"samples", "locale", "__pycache__"}


@cache
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    if not path.is_file():
        return "absent"
    stat = path.stat()
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


def tree_digest(
    folder: Path,
    skip: frozenset[str] | set[str] = frozenset(),
    pinned: frozenset[Path] = frozenset(),
) -> str:
    """Every file under folder, by relative path and content; folders named in skip are
    left out wherever they are. A pinned file counts by its size and modification time:
    its content is vouched for by the digest it was fetched against, itself an input."""
    digest = hashlib.sha256()
    for path in sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not skip.intersection(p.relative_to(folder).parts[:-1])
        and p.suffix != ".pyc"
    ):
        if path in pinned:
            stat = path.stat()
            mark = f"pinned {stat.st_size} {stat.st_mtime_ns}"
        else:
            mark = file_digest(path)
        digest.update(f"{path.relative_to(folder)}\0{mark}\n".encode())
    return digest.hexdigest()


def _fetched_fonts() -> frozenset[Path]:
    """The fonts scripts/fetch_fonts.py put in fonts/noto/, checked there against the pins
    of fonts/sources.toml (46 MB: reading them would double a no-change build's time)."""
    return frozenset(
        p for p in (FONTS_DIR / "noto").glob("*") if p.suffix.lower() in (".ttf", ".ttc")
    )


def _native_version(soname: str, function: str, restype) -> str:
    try:
        call = getattr(ctypes.CDLL(soname), function)
    except (OSError, AttributeError):
        return "absent"
    call.restype = restype
    value = call()
    return value.decode() if isinstance(value, bytes) else str(value)


@cache
def native_versions() -> dict[str, str]:
    """The versions of the native libraries WeasyPrint lays text out with, read from the
    libraries this process would load (their sonames, as WeasyPrint loads them)."""
    return {
        "pango": _native_version("libpango-1.0.so.0", "pango_version_string", ctypes.c_char_p),
        "harfbuzz": _native_version("libharfbuzz.so.0", "hb_version_string", ctypes.c_char_p),
        "fontconfig": _native_version("libfontconfig.so.1", "FcGetVersion", ctypes.c_int),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


@cache
def installed_distributions() -> tuple[str, ...]:
    """Every distribution installed on the import path, as its dist-info folder names it
    (name-version): reading folder names is quick, where importlib.metadata would cost a
    quarter of a no-change rebuild."""
    found: set[str] = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            found.update(p.name for p in folder.iterdir() if p.suffix == ".dist-info")
    return tuple(sorted(found))


def versions() -> dict[str, str]:
    """What the manifest records beside each PDF: the versions that made it."""
    made_by = {"handouts": __version__}
    wanted = {"weasyprint", "pydyf"}
    for name in installed_distributions():
        project, _, version = name.removesuffix(".dist-info").partition("-")
        if project.lower() in wanted:
            made_by[project.lower()] = version
    return {**made_by, **native_versions()}


@cache
def _software() -> str:
    return "\n".join(
        [
            f"python {sys.version}",
            *installed_distributions(),
            *(f"{k} {v}" for k, v in native_versions().items()),
            f"handouts {__version__} {tree_digest(PACKAGE_DIR, _PACKAGE_SKIP, _fetched_fonts())}",
        ]
    )


def shared_inputs(template_dirs: tuple[Path, ...] = ()) -> str:
    """The inputs every document shares: software, handouts' package, a clinic's template
    folders. Work it out once per batch and hand it to input_hash."""
    digest = hashlib.sha256(_software().encode())
    for folder in template_dirs:
        # Catalogues are counted per language in input_hash, so one language's edit stays
        # local to that language.
        digest.update(tree_digest(Path(folder), {"locale"}).encode())
    return digest.hexdigest()


def input_hash(job, template_dirs: tuple[Path, ...] = (), shared: str | None = None) -> str:
    digest = hashlib.sha256()

    def add(label: str, value: str) -> None:
        digest.update(f"{label}\0{value}\n".encode())

    add("shared", shared or shared_inputs(template_dirs))
    add(
        "options",
        repr(
            (
                job.kind,
                job.paper,
                job.stock,
                job.large_print,
                job.pdfa,
                job.count,
                job.allow_fallback,
            )
        ),
    )
    for drug, lang in job.slots or ((job.drug, job.lang),):
        content_dir = drug.path.parent.parent
        # The languages and fonts a content folder adds (languages.toml, fonts/).
        add("languages", file_digest(content_dir / CLINIC_REGISTRY))
        if (content_dir / "fonts").is_dir():
            add("fonts", tree_digest(content_dir / "fonts"))
        add(f"content {drug.id}", file_digest(drug.path))
        if lang != "en":
            add(
                f"catalog {drug.id} {lang}",
                file_digest(content_catalog_path(drug.path.parent, lang)),
            )
            add(
                f"templates catalog {lang}", file_digest(find_template_catalog(lang, template_dirs))
            )
    if job.clinic:
        add("clinic", file_digest(job.clinic.path))
        if job.clinic.fonts_dir:
            add("clinic fonts", tree_digest(job.clinic.fonts_dir))
        add("logo", job.clinic.logo_data_uri or "")
    return digest.hexdigest()
