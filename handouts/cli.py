"""The command line: a thin layer that parses options and calls the pipeline."""

import sys
from pathlib import Path

import click

from . import __version__
from .compose import Job
from .content import DrugContent, discover, load_all
from .documents import KINDS, LANGUAGES, PAPERS
from .errors import ContentError, HandoutsError
from .locations import CONTENT_DIR, display_path

content_option = click.option(
    "--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
    default=CONTENT_DIR, show_default="the bundled content/",
    help="Folder holding <drug>/drug.yaml files.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handouts")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def cli(ctx, debug):
    """Print patient drug handouts and wallet warning cards as PDF."""
    ctx.obj = {"debug": debug}


@cli.command()
@click.argument("drugs", nargs=-1, metavar="[DRUG]...")
@click.option("--all", "all_drugs", is_flag=True, help="Every drug in the content folder.")
@click.option("--lang", "langs", multiple=True, metavar="LANG",
              help="Language tag; repeat for several. Default: every available language.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Document kind; repeat for several. Default: every kind.")
@click.option("--paper", type=click.Choice(sorted(PAPERS)), default="letter", show_default=True,
              help="Paper size for handouts.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dist"), show_default=True, help="Output folder.")
@content_option
def build(drugs, all_drugs, langs, kinds, paper, out_dir, content_dir):
    """Build handouts and cards into OUT/<drug>/<lang>/<kind>.pdf and OUT/manifest.json."""
    from .build import build as run_build   # WeasyPrint loads only when needed

    selected = _select_drugs(drugs, all_drugs, content_dir)
    langs = _check_langs(langs)
    jobs = [Job(drug, lang, kind, paper)
            for drug in load_all(content_dir, selected)
            for lang in langs for kind in (kinds or KINDS)]
    built = run_build(jobs, out_dir)
    for item in built:
        click.echo(f"built {display_path(out_dir / item.path)} ({item.pages} "
                   f"page{'s' if item.pages != 1 else ''})")
    click.echo(f"{len(built)} document{'s' if len(built) != 1 else ''} written; manifest: "
               f"{display_path(out_dir / 'manifest.json')}")


@cli.command()
@click.argument("drugs", nargs=-1, metavar="[DRUG]...")
@content_option
def check(drugs, content_dir):
    """Validate the content and the templates; exit 1 with the findings."""
    from .checks import check_templates

    selected = _select_drugs(drugs, True, content_dir)
    loaded = load_all(content_dir, selected)
    check_templates([Job(d, lang, kind) for d in loaded for lang in LANGUAGES for kind in KINDS])
    for drug in loaded:
        click.echo(f"ok {display_path(drug.path)}")
    click.echo(f"{len(loaded)} drug{'s' if len(loaded) != 1 else ''} checked; no problems found")


@cli.command(name="list")
@content_option
def list_drugs(content_dir):
    """List the drugs and their languages."""
    for drug in load_all(content_dir):
        click.echo(_describe(drug))


def _describe(drug: DrugContent) -> str:
    brands = ", ".join(sorted({b.name for b in drug.drug.names.brands}))
    return f"{drug.id}\t{brands}\tlanguages: {', '.join(LANGUAGES)}"


def _select_drugs(drugs, all_drugs, content_dir) -> list[str] | None:
    known = list(discover(content_dir))
    unknown = [d for d in drugs if d not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown drug {', '.join(map(repr, unknown))}; valid drugs: "
            f"{', '.join(known) or '(none in ' + display_path(content_dir) + ')'}",
            param_hint="DRUG")
    if drugs:
        return list(drugs)
    if all_drugs:
        return None
    raise click.UsageError("name at least one drug, or use --all; valid drugs: "
                           + ", ".join(known))


def _check_langs(langs) -> tuple[str, ...]:
    unknown = [lang for lang in langs if lang not in LANGUAGES]
    if unknown:
        raise click.BadParameter(f"unknown language {', '.join(map(repr, unknown))}; valid "
                                 f"languages: {', '.join(LANGUAGES)}", param_hint="--lang")
    return tuple(dict.fromkeys(langs)) or LANGUAGES


def main(argv=None):
    """Entry point: domain errors become one clear message, not a traceback."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="handouts", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ContentError as error:
        if debug:
            raise
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(f"Error: {count} problem{'s' if count != 1 else ''} in the content; "
                   "nothing was written.", err=True)
        sys.exit(1)
    except HandoutsError as error:
        if debug:
            raise
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # a bug, not bad input: still no traceback unless asked
        if debug:
            raise
        click.echo(f"Error: unexpected {type(error).__name__}: {error}. Run again with "
                   "--debug to see the traceback, and please report it.", err=True)
        sys.exit(1)
