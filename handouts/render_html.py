"""Pipeline stage 3: fill the Jinja templates. Content is data, never markup or a template."""

from pathlib import Path

import jinja2
from markupsafe import escape

from .compose import Composed
from .locations import TEMPLATES_DIR
from .template_strings import TemplateTranslation


def make_environment(template_dirs: tuple[Path, ...] = (),
                     translation: TemplateTranslation | None = None) -> jinja2.Environment:
    """Templates are looked up in order, so a clinic's override folder can come first."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*template_dirs, TEMPLATES_DIR]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    strings = translation.strings if translation else {}

    # Jinja marks translations as safe markup; translators' text is text like any other,
    # so it is escaped here.
    def gettext(message):
        return escape(strings.get((None, message), message))

    def pgettext(context, message):
        return escape(strings.get((context, message), message))

    def ngettext(singular, plural, n):
        return gettext(singular if n == 1 else plural)

    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)
    return env


class Environments:
    """One Jinja environment per language, each with its own translations, kept warm."""

    def __init__(self, template_dirs: list[Path] | None = None):
        self.template_dirs = tuple(template_dirs or ())
        self._by_lang: dict[str, jinja2.Environment] = {}

    def get(self, lang: str, translation: TemplateTranslation | None) -> jinja2.Environment:
        if lang not in self._by_lang:
            self._by_lang[lang] = make_environment(self.template_dirs, translation)
        return self._by_lang[lang]


def render_html(environments: Environments, composed: Composed) -> str:
    env = environments.get(composed.job.lang, composed.localized.templates)
    return env.get_template(composed.template).render(composed.context)
