"""Pipeline stage 6: where a document goes, what its manifest entry says, and writing a
file atomically.

A PDF appears under its final name only when complete (temporary file in the same
folder, fsync, rename), so nobody can print half a document. A build's output folder, its
lock and its manifest kept in step with the PDFs, is outfolder.py.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .stocks import STOCKS, sheet_for

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Built:
    drug: str
    lang: str
    kind: str
    paper: str
    path: str  # relative to the output folder
    sha256: str
    pages: int
    status: str = "built"
    input_hash: str = ""  # hash of everything the document was made from (fingerprint.py)
    # The versions of handouts, WeasyPrint, pydyf and the native text libraries that made it.
    made_by: dict[str, str] = field(default_factory=dict)


def document_path(job) -> str:
    """OUT/<drug>/<lang>/<kind>.pdf, with a suffix for each option that is not the default."""
    suffix = ""
    if job.kind == "handout" and job.large_print:
        suffix += "-large-print"
    if job.kind != "handout" and job.stock != "us-business":
        suffix += f"-{job.stock}"
    if job.kind == "card-sheet" and job.paper != "letter":
        suffix += f"-{job.paper}"
    if job.pdfa:
        suffix += "-pdfa"
    return f"{job.drug.id}/{job.lang}/{job.kind}{suffix}.pdf"


def paper_of(job) -> str:
    """What the document is printed on: a paper size, or a card stock (and its sheet)."""
    if job.kind == "handout":
        return job.paper
    if job.kind == "card":
        return job.stock
    return f"{job.stock}/{sheet_for(STOCKS[job.stock], job.paper).name}"


def write_atomic(target: Path, data: bytes) -> None:
    temp = write_temp(target, data)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_temp(target: Path, data: bytes) -> Path:
    """data in a new file beside target (.<name>.<random>.tmp), flushed to the disk; on any
    failure (a full disk) nothing of it is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path) -> dict[str, dict]:
    """OUT/manifest.json by document path; an unreadable one counts as empty."""
    try:
        return {e["path"]: e for e in json.loads((out_dir / MANIFEST).read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
