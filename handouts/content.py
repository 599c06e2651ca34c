"""Pipeline stage 1: find, load and validate the drug content (the English master)."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ContentError, Problem
from .locations import discover, display_path  # noqa: F401 (discover re-exported)
from .schema import Drug
from .yamlsource import FieldPath, Positions, format_path, load_yaml

DRUG_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class DrugContent:
    """A validated drug with the file it came from and where each field sits in it."""

    id: str
    path: Path
    drug: Drug
    positions: Positions


def load_drug(drug_id: str, path: Path) -> DrugContent:
    """Load and validate one drug.yaml; every problem in it is reported at once."""
    filename = display_path(path)
    data, positions, problems = load_yaml(path)
    if not DRUG_ID.match(drug_id):
        problems.append(
            Problem(
                filename,
                1,
                1,
                "",
                f"folder name {drug_id!r} is not a valid "
                "drug id; use lower-case letters, digits and hyphens",
            )
        )
    if not isinstance(data, dict):
        problems.append(
            Problem(
                filename,
                1,
                1,
                "",
                "expected a mapping of fields at the top "
                "level (names:, summary:, ...); see docs/content-format.md",
            )
        )
        raise ContentError(problems)
    try:
        drug = Drug.model_validate(data)
    except ValidationError as error:
        problems += [schema_problem(filename, positions, e) for e in error.errors()]
        raise ContentError(problems) from None
    problems += _cross_checks(filename, drug, positions)
    if problems:
        raise ContentError(problems)
    return DrugContent(drug_id, path, drug, positions)


def load_each(
    content_dir: Path, only: list[str] | None = None
) -> tuple[list[DrugContent], list[Problem]]:
    """Load the named drugs (default all): the valid ones, and every problem of the others."""
    drugs, problems = [], []
    for drug_id, path in discover(content_dir).items():
        if only is not None and drug_id not in only:
            continue
        try:
            drugs.append(load_drug(drug_id, path))
        except ContentError as error:
            problems += error.problems
    return drugs, problems


def load_all(content_dir: Path, only: list[str] | None = None) -> list[DrugContent]:
    """Load the named drugs (default all); raise one ContentError holding every problem."""
    drugs, problems = load_each(content_dir, only)
    if problems:
        raise ContentError(problems)
    return drugs


def _cross_checks(filename: str, drug: Drug, positions: Positions) -> list[Problem]:
    """Rules that span fields: sources must exist, English full-information URL required."""
    problems = []
    known = {source.id for source in drug.sources}

    def report(path: FieldPath, message: str) -> None:
        line, col = positions.of(path)
        problems.append(Problem(filename, line, col, format_path(path), message))

    seen = set()
    for i, source in enumerate(drug.sources):
        if source.id in seen:
            report(
                ("sources", i, "id"), f"source id {source.id!r} is used twice; ids must be unique"
            )
        seen.add(source.id)
    for section in ("boxed_warnings", "call_right_away", "side_effects_by_frequency"):
        for i, item in enumerate(getattr(drug, section)):
            for j, ref in enumerate(item.sources):
                if ref not in known:
                    report(
                        (section, i, "sources", j),
                        f"unknown source {ref!r}; add it under "
                        f"sources or use one of: {', '.join(sorted(known))}",
                    )
    problems += [
        Problem(filename, *positions.of(path), format_path(path), message)
        for path, message in _change_problems(drug)
    ]
    if "en" not in drug.full_info_url:
        report(
            ("full_info_url",),
            "an English (en:) address is required; it is the fallback for every language",
        )
    return problems


def version_key(version: str) -> tuple[int, ...]:
    """ "1.10" after "1.9", and "1.1" the same as "1.1.0"."""
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def _change_problems(drug: Drug) -> list[tuple[FieldPath, str]]:
    """changes: oldest first, each version once, the last the current content_version: a
    version raised without saying what changed for patients is an error."""
    if not drug.changes:
        return []
    found: list[tuple[FieldPath, str]] = []
    last = len(drug.changes) - 1
    current = drug.changes[last]
    if version_key(current.version) != version_key(drug.content_version):
        found.append(
            (
                ("changes", last, "version"),
                f"the last entry is version {current.version}, but content_version is "
                f"{drug.content_version}; add an entry for {drug.content_version} at the end, "
                "with its date and what changed for patients",
            )
        )
    for i, (older, newer) in enumerate(zip(drug.changes, drug.changes[1:], strict=False)):
        if version_key(newer.version) <= version_key(older.version):
            found.append(
                (
                    ("changes", i + 1, "version"),
                    f"version {newer.version} comes after {older.version}; list each "
                    "version once, oldest first, and add a new one at the end",
                )
            )
        elif newer.date < older.date:
            found.append(
                (
                    ("changes", i + 1, "date"),
                    f"version {newer.version} is dated before the older {older.version}; "
                    "check the dates",
                )
            )
    return found


def schema_problem(
    filename: str, positions: Positions, error: Any, guide: str = "docs/content-format.md"
) -> Problem:
    path = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        # Point at the mapping that lacks the key.
        line, col = positions.of(path[:-1])
    else:
        line, col = positions.of(path, key=kind == "extra_forbidden")
    return Problem(filename, line, col, format_path(path), _message(error, guide))


def _message(error: Any, guide: str) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "extra_forbidden":
        return f"unknown key; check its spelling against {guide}"
    if kind in ("string_type", "string_sub_type"):
        return f"expected text, got {_yaml_type(value)} ({value!r}); put the value in quotes"
    if kind == "too_short" and isinstance(value, (list, dict)):
        return "must not be empty; add at least one item"
    if kind == "string_too_short":
        return "must not be empty; write the text or remove the entry"
    if kind == "too_long":
        return f"too many items ({len(value)}); at most {ctx.get('max_length')} fit"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = {
            "list_type": "a list (items starting with '- ')",
            "dict_type": "a mapping (key: value lines)",
        }.get(kind, "a mapping (key: value lines)")
        return f"expected {wanted}, got {_yaml_type(value)}"
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} does not have the expected form ({_pattern_hint(ctx.get('pattern', ''))})"
        )
    if kind in ("enum", "literal_error"):
        return f"{value!r} is not allowed; use one of: {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{value!r} is out of range: {error['msg'].lower()}"
    if kind == "int_type":
        return f"expected a whole number, got {_yaml_type(value)} ({value!r})"
    if kind in ("date_type", "date_from_datetime_inexact", "date_parsing"):
        return "not a valid date; write it as YYYY-MM-DD"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _pattern_hint(pattern: str) -> str:
    return {
        r"^([A-Z]{2})$": "a two-letter country code such as US, CA or EU",
        r"^\d+(\.\d+){0,2}$": 'a version such as "1.2.0", in quotes',
        r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$": "a language tag such as en, es or zh-Hans",
        r"^[0-9+()./ -]{3,40}( (ext|x)\.? ?[0-9]{1,6})?$": (
            'a phone number: digits, spaces and + ( ) - . /, e.g. "+1 555 010 0199"'
        ),
    }.get(
        pattern,
        "lower-case letters, digits and hyphens, e.g. fda-label"
        if "a-z0-9" in pattern
        else f"pattern {pattern}",
    )


def _yaml_type(value) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
        list: "a list",
        dict: "a mapping",
        str: "text",
    }
    return names.get(type(value), type(value).__name__)
