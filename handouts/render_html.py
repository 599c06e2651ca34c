"""Pipeline stage 3: fill the Jinja templates. Content is data, never markup or a template."""

from pathlib import Path

import jinja2

from .compose import Composed
from .locations import TEMPLATES_DIR


def make_environment(template_dirs: list[Path] | None = None) -> jinja2.Environment:
    """Templates are looked up in order, so a clinic's override folder can come first."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*(template_dirs or []), TEMPLATES_DIR]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)
    return env


def render_html(env: jinja2.Environment, composed: Composed) -> str:
    return env.get_template(composed.template).render(composed.context)
