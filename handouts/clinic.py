"""Clinic settings (``clinic.yaml``): who is printing, on what, and where the QR codes point.

Validated like the drug content: every problem at once, as file:line:col: field: message.
"""

import base64
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationError

from .content import schema_problem
from .documents import PAPERS
from .errors import ContentError, HandoutsError, Problem
from .locations import CLINIC_VARIABLE, display_path
from .schema import HttpsUrl, Model, Text
from .stocks import STOCKS
from .yamlsource import load_yaml

GUIDE = "the clinic settings section of README.md"
_LOGO_TYPES = {".png": ("image/png", b"\x89PNG\r\n\x1a\n"), ".svg": ("image/svg+xml", None)}
_MAX_LOGO_BYTES = 1_000_000
_PHONE = r"^[0-9+()./ -]{3,40}( (ext|x)\.? ?[0-9]{1,6})?$"


def _site_address(url: str) -> str:
    """The web edition's address: its pages go under it, so a query, a fragment or an
    escaped character would make every printed code wrong."""
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~-]+)*/?", url):
        raise ValueError(
            "must be a plain https:// address: a host and a path of letters, digits, "
            "'-', '.', '_' and '~' (no ?, #, % or spaces), since the web edition's pages "
            "go under it"
        )
    return url.rstrip("/")


class Clinic(Model):
    name: Annotated[Text, StringConstraints(max_length=80)]
    phone_24h: Annotated[Text, StringConstraints(pattern=_PHONE)]
    # Literals made from the registries: pydantic reads them, a static type checker cannot.
    paper: Literal[tuple(PAPERS)] = "letter"  # type: ignore[valid-type]
    card_stock: Literal[tuple(STOCKS)] = "us-business"  # type: ignore[valid-type]
    logo: Text | None = None
    qr_base_url: Annotated[HttpsUrl, AfterValidator(_site_address)] | None = None
    handout_page_limit: Annotated[int, Field(ge=1, le=50)] = 6
    templates: Text | None = None  # a folder of the clinic's own templates
    fonts: Text | None = None  # a folder of the clinic's own fonts


class ClinicSettings:
    """A validated clinic.yaml, with its logo read and checked and its template folder
    found (an absolute path: render workers may run in another folder)."""

    def __init__(
        self,
        path: Path,
        clinic: Clinic,
        logo_data_uri: str | None,
        template_dir: Path | None = None,
        fonts_dir: Path | None = None,
    ):
        self.path = path
        self.clinic = clinic
        self.logo_data_uri = logo_data_uri
        self.template_dir = template_dir
        self.fonts_dir = fonts_dir

    def qr_url(self, drug_id: str, lang: str, version: str, default: str) -> str:
        """The web edition's page of the version a document is printed from, when the clinic
        publishes one (handouts site); else the content's own address."""
        if self.clinic.qr_base_url:
            return f"{self.clinic.qr_base_url}/{drug_id}/{lang}/{version}/"
        return default


def find_settings(option: Path | None) -> Path | None:
    """--clinic wins, then $HANDOUTS_CLINIC; no settings is fine (blank lines to write on)."""
    if option:
        return option
    value = os.environ.get(CLINIC_VARIABLE)
    return Path(value) if value else None


def load_clinic(path: Path) -> ClinicSettings:
    filename = display_path(path)
    if not path.is_file():
        raise ContentError(
            [
                Problem(
                    filename,
                    1,
                    1,
                    "",
                    "clinic settings file not found; check --clinic or $" + CLINIC_VARIABLE,
                )
            ],
            "the clinic settings",
        )
    try:
        data, positions, problems = load_yaml(path)
    except ContentError as error:  # a YAML syntax error, a control character
        raise ContentError(error.problems, "the clinic settings") from None
    if not isinstance(data, dict):
        problems.append(
            Problem(filename, 1, 1, "", "expected a mapping of settings (name:, phone_24h:, ...)")
        )
        raise ContentError(problems, "the clinic settings")
    logo = None
    if isinstance(data.get("logo"), str):
        logo, message = _read_logo(path.parent, data["logo"])
        if message:
            line, col = positions.of(("logo",))
            problems.append(Problem(filename, line, col, "logo", message))
    folders: dict[str, Path | None] = {"templates": None, "fonts": None}
    for key in folders:
        if isinstance(data.get(key), str) and data[key].strip():
            folders[key], message = _folder(path.parent, data[key].strip(), key)
            if not message and key == "fonts":
                message = _font_problems(folders[key])
            if message:
                line, col = positions.of((key,))
                problems.append(Problem(filename, line, col, key, message))
    try:
        clinic = Clinic.model_validate(data)
    except ValidationError as error:
        problems += [schema_problem(filename, positions, e, GUIDE) for e in error.errors()]
    if problems:
        raise ContentError(problems, "the clinic settings")
    return ClinicSettings(path, clinic, logo, folders["templates"], folders["fonts"])


def _folder(folder: Path, name: str, what: str) -> tuple[Path | None, str]:
    """The clinic's templates or fonts folder, relative to the settings file like its logo."""
    path = (folder / name).resolve()
    if path.is_dir():
        return path, ""
    if path.exists():
        return None, f"{name!r} is a file; name the folder that holds your {what}"
    return None, (
        f"folder {display_path(path)} not found; give the {what} folder's path "
        "relative to this file"
    )


def _font_problems(folder: Path | None) -> str:
    """What is wrong with the clinic's font folder, or ""."""
    from .languages import font_folder_registry, package_registry

    try:
        font_folder_registry(folder, package_registry()) if folder else None
    except HandoutsError as error:
        return str(error).replace("\n", "; ")
    return ""


def _read_logo(folder: Path, name: str) -> tuple[str | None, str]:
    """The logo as a data: URL (the renderer reads no files of the clinic's)."""
    path = (folder / name).resolve()
    if not path.is_file():
        return None, f"{name!r} not found beside the settings file"
    kind = _LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        return None, "the logo must be a .png or .svg file"
    data = path.read_bytes()
    if len(data) > _MAX_LOGO_BYTES:
        return None, f"the logo is {len(data) // 1024} KB; keep it under 1 MB"
    mime, magic = kind
    if (magic and not data.startswith(magic)) or (not magic and b"<svg" not in data[:4096]):
        return None, f"{path.name} is not a valid {path.suffix[1:].upper()} file"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", ""
