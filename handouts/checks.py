"""What `handouts check` verifies beyond the schema: the templates fill in for every drug."""

import jinja2

from .compose import Job, compose
from .errors import HandoutsError
from .render_html import make_environment, render_html
from .verify import check_glyphs


def check_templates(jobs: list[Job]) -> None:
    """Compile every template and fill it for each job, checking the fonts cover the text."""
    env = make_environment()
    problems = []
    for name in env.list_templates(extensions=["html"]):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(f"{error.filename or name}:{error.lineno}: template syntax error: "
                            f"{error.message}")
    if not problems:
        for job in jobs:
            try:
                composed = compose(job)
                check_glyphs(composed, render_html(env, composed))
            except (HandoutsError, jinja2.TemplateError) as error:
                problems.append(f"{job.name}: {error}")
    if problems:
        raise HandoutsError("\n".join(problems))
