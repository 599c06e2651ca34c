"""Pipeline stage 3: fill the Jinja templates. Content is data, never markup or a template.

A clinic's template folders come before the bundled templates, so a template there
replaces the bundled one of the same name; ``bundled/<name>`` is always the bundled one,
so that a clinic's ``handout.html`` can extend the bundled ``handout.html`` and change one
block of it.
"""

import traceback
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .bidi import isolated, left_to_right, run
from .compose import Composed, Unplaceable
from .errors import RenderError
from .locations import TEMPLATES_DIR, display_path
from .template_strings import TemplateTranslation

BUNDLED = "bundled"


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates, shared by the environments of every language: the source is the
    same, only the translations differ, so each template is compiled once per process."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# One per process: a pipeline for a clinic's folders, made in a worker that forked warm,
# reuses the bundled templates compiled before the fork (a key is the template's name and
# file; a changed source fails its checksum and is compiled again).
_BYTECODE = SharedBytecode()


def make_environment(
    template_dirs: tuple[Path, ...] = (),
    translation: TemplateTranslation | None = None,
    bytecode: SharedBytecode | None = None,
) -> jinja2.Environment:
    """Templates are looked up in order, so a clinic's override folder can come first."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader([*template_dirs, TEMPLATES_DIR]),
                jinja2.PrefixLoader({BUNDLED: jinja2.FileSystemLoader(TEMPLATES_DIR)}),
            ]
        ),
        bytecode_cache=bytecode,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ltr"] = left_to_right
    env.filters["isolate"] = isolated
    env.filters["ltr_run"] = lambda text, classes="": run(text, "ltr", classes)
    strings = translation.strings if translation else {}

    # Jinja marks translations as safe markup; translators' text is text like any other,
    # so it is escaped here.
    def gettext(message):
        return escape(strings.get((None, message), message))

    def pgettext(context, message):
        return escape(strings.get((context, message), message))

    def ngettext(singular, plural, n):
        return gettext(singular if n == 1 else plural)

    # Added to the environment by jinja2.ext.i18n, which the type stubs do not know.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    return env


class Environments:
    """One Jinja environment per language, each with its own translations, kept warm."""

    def __init__(self, template_dirs: list[Path] | None = None):
        self.template_dirs = tuple(template_dirs or ())
        self._by_lang: dict[str, jinja2.Environment] = {}
        self._bytecode = _BYTECODE

    def get(self, lang: str, translation: TemplateTranslation | None) -> jinja2.Environment:
        if lang not in self._by_lang:
            self._by_lang[lang] = make_environment(self.template_dirs, translation, self._bytecode)
        return self._by_lang[lang]

    def compile_all(self) -> None:
        """Compile every print template now (a worker server does, before it forks)."""
        env = self.get("en", None)
        for name in env.list_templates(
            filter_func=lambda name: (
                name.endswith(".html") and not name.startswith(("web/", BUNDLED + "/"))
            )
        ):
            env.get_template(name)


def render_html(environments: Environments, composed: Composed) -> tuple[str, list]:
    """The document's HTML, and each part with the composition it was made from.

    A card sheet is assembled from card sides rendered one by one, each in its own
    language; the parts let the glyph check judge each against its own fonts.

    A mistake in a template is a RenderError naming its file and line: any Jinja error,
    and any other error raised by a line of a clinic's template (a bundled template's
    would be a bug, and is reported as one).
    """
    try:
        return _render(environments, composed)
    except Unplaceable:
        raise  # not a mistake: the pipeline lays the document out whole (stamp.py)
    except Exception as error:
        folders = environments.template_dirs
        if not isinstance(error, jinja2.TemplateError) and not _frames(error, folders):
            raise
        # Another error's text may quote a value, a patient's detail among them.
        quote = composed.job.personal is None
        raise RenderError(f"{composed.job.name}: {template_error(error, folders, quote)}") from None


def template_error(error: Exception, template_dirs: tuple[Path, ...], quote: bool = True) -> str:
    """``file:line: what is wrong`` for an error in a template: a syntax error knows its
    place; an error while filling a template (an undefined name) is placed by the last
    frame of the traceback in a template file, as Jinja rewrites the frames to the
    templates' own lines. quote: give the text of an error that is not Jinja's."""
    line: int | None
    if isinstance(error, jinja2.TemplateSyntaxError):
        filename, line, what = error.filename, error.lineno, "syntax error"
    else:
        frames = _frames(error, (*template_dirs, TEMPLATES_DIR))
        filename, line = (frames[-1].filename, frames[-1].lineno) if frames else (None, None)
        what = "error"
    if isinstance(error, jinja2.TemplateNotFound):
        message = f"template {error.name!r} not found in the template folders"
    elif isinstance(error, jinja2.TemplateError):
        message = error.message or type(error).__name__
    else:
        message = f"{type(error).__name__}: {error}" if quote else type(error).__name__
    if filename is None:
        return f"template {what}: {message}"
    return f"{display_path(Path(filename))}:{line}: template {what}: {message}"


def _frames(error: Exception, folders: tuple[Path, ...]) -> list[traceback.FrameSummary]:
    """The traceback's frames in templates of these folders."""
    return [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if any(Path(frame.filename).is_relative_to(folder) for folder in folders)
    ]


def _render(environments: Environments, composed: Composed) -> tuple[str, list]:
    env = environments.get(composed.job.lang, composed.localized.templates)
    context = dict(composed.context)
    parts = []
    if composed.template == "card.html":
        context["sides"] = _sides(env, composed.context)
        parts.append((composed, "".join(context["sides"])))
    elif composed.template == "card_sheet.html":
        fronts, backs = [], []
        for slot in composed.slots:
            front, back = _sides(
                environments.get(slot.job.lang, slot.localized.templates), slot.context
            )
            fronts.append(front)
            backs.append(back)
            parts.append((slot, front + back))
        context["pages"] = [
            list(zip(context["fronts"], fronts, strict=True)),
            list(zip(context["backs"], backs, strict=True)),
        ]
    html = env.get_template(composed.template).render(context)
    if composed.template != "card_sheet.html":
        parts.append((composed, html))
    return html, parts


def _sides(env: jinja2.Environment, context: dict) -> list[Markup]:
    # A discharge packet's card has sides of its own (compose.py).
    names = context.get("side_templates", ("card_front.html", "card_back.html"))
    return [Markup(env.get_template(name).render(context)) for name in names]
