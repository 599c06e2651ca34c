"""Domain errors. Front ends turn these into one-line messages; nothing here prints."""

from dataclasses import dataclass


class HandoutsError(Exception):
    """A problem the user can fix; str(error) is the whole message."""


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in an input file, reported as ``file:line:col: field: message``."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ContentError(HandoutsError):
    """Every problem found in the content, gathered before anything is written."""

    def __init__(self, problems: list[Problem], subject: str = "the content"):
        self.problems = sorted(problems)
        self.subject = subject
        super().__init__("\n".join(str(p) for p in self.problems))


class CatalogError(ContentError):
    """Broken entries of translation catalogues (a placeholder that is not the English's)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the translations")


class RenderError(HandoutsError):
    """A document rendered, but breaks a print rule (overflow, missing glyph, foreign font...)."""
