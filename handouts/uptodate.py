"""Is a document current? Its input hash against the manifest, and its file intact.

Kept apart from batch.py so that a build with nothing to do imports no more than this.
"""

from dataclasses import dataclass
from pathlib import Path

from .fingerprint import file_digest, input_hash, shared_inputs
from .output import document_path, read_manifest


@dataclass(frozen=True)
class DrugRef:
    id: str
    path: Path


@dataclass(frozen=True)
class DocumentKey:
    """The parts of a Job that decide its file name and its inputs, known without loading
    any content: enough to tell that nothing needs building."""

    drug: DrugRef
    lang: str
    kind: str
    paper: str
    stock: str
    large_print: bool
    pdfa: bool
    count: int
    allow_fallback: bool
    clinic: None = None
    slots: tuple = ()


def all_unchanged(
    keys: list[DocumentKey], out_dir: Path, template_dirs: tuple[Path, ...] = ()
) -> bool:
    """True when every document is on disk, intact, with its current input hash (which
    counts every file of the clinic's template folders)."""
    manifest = read_manifest(out_dir)
    if not keys or len(manifest) < len(keys):
        return False
    shared = shared_inputs(template_dirs)
    return all(
        unchanged(out_dir, manifest.get(document_path(key)), input_hash(key, template_dirs, shared))
        for key in keys
    )


def unchanged(out_dir: Path, entry: dict | None, digest: str) -> bool:
    if not entry or entry.get("input_hash") != digest or entry.get("status") != "built":
        return False
    target = out_dir / entry["path"]
    return target.is_file() and file_digest(target) == entry.get("sha256")
