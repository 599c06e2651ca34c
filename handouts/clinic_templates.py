"""A clinic's own templates: which folders are searched before the bundled templates, and
a check of their syntax before any document is made.

Kept free of Jinja at import time: a no-change rebuild needs only the folders.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HandoutsError

if TYPE_CHECKING:
    from .clinic import ClinicSettings


class TemplateProblem(HandoutsError):
    """A clinic template that cannot be compiled."""


def template_folders(options: Iterable[Path], clinic: "ClinicSettings | None") -> tuple[Path, ...]:
    """--templates folders in the order given, then the clinic's ``templates:`` folder.

    Absolute paths: render workers, and a web app's, may run in another folder."""
    folders = [Path(folder).resolve() for folder in options]
    if clinic and clinic.template_dir:
        folders.append(clinic.template_dir)
    return tuple(dict.fromkeys(folders))


def check_templates(template_dirs: tuple[Path, ...]) -> None:
    """Compile every template of the clinic's folders: a syntax error stops the command
    with one message, before anything is written, rather than failing every document."""
    if not template_dirs:
        return
    import jinja2

    from .render_html import make_environment, template_error

    env = make_environment(template_dirs)
    names = {
        path.relative_to(folder).as_posix()
        for folder in template_dirs
        for path in folder.rglob("*.html")
    }
    for name in sorted(names):
        try:
            env.get_template(name)
        except jinja2.TemplateError as error:
            raise TemplateProblem(
                template_error(error, template_dirs) + "; fix the template, and see the "
                "clinic templates section of README.md"
            ) from None
