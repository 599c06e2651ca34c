"""The README documents the command line as it is: every command has its row in the
command table, and every option of it is named in that row or among the options every
command takes."""

import re

import click

from handouts.cli import cli

from .conftest import REPOSITORY

README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
# The paragraph after the table: the options several commands share.
SHARED = README[README.index("Every command takes `--content DIR`") :][:800]


def commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_and_option_is_in_the_readme():
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^\| `([a-z0-9-]+(?: [a-z0-9-]+)?)[ `].*$", README, re.MULTILINE)
    }
    missing = []
    for name, command in commands(cli):
        if name not in rows:
            missing.append(f"{name}: no row in the command table")
            continue
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option not in rows[name] + SHARED:
                    missing.append(f"{name} {option}")
    assert missing == []
