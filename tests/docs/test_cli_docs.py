"""Every command is documented where a user looks (sqlite-utils' test_docs does the same):
its ``--help`` carries an example, each of its options says what it does, and the README
names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Context

from crawler.cli.main import COMMANDS as LAZY
from crawler.cli.main import app, load_command

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    # Typer vendors its own click: groups are told apart by their sub-commands. The
    # top group loads its commands on demand, so it is asked for each by name.
    context = Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path + " ")
        else:
            yield path, command


COMMANDS = dict(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("name", sorted(LAZY))
def test_the_top_help_line_is_the_commands_own(name: str) -> None:
    """`provnews --help` lists commands without importing them: its line must not drift."""
    command = load_command(name)
    assert (command.help or "").strip().splitlines()[0].replace("\\[", "[") == LAZY[name][1]


def test_the_cli_has_the_commands_the_readme_describes() -> None:
    assert {"crawl", "scrape", "search", "show", "export", "demo", "schedule run"} <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_command_help_has_an_example(path: str) -> None:
    assert "Example:" in (COMMANDS[path].help or ""), f"provnews {path} --help shows no example"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_option_says_what_it_does(path: str) -> None:
    undocumented = [p.opts[0] for p in COMMANDS[path].params
                    if p.param_type_name == "option" and not (getattr(p, "help", None) or "").strip()]
    assert not undocumented, f"provnews {path}: options without help: {undocumented}"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_the_readme_names_the_command(path: str) -> None:
    assert f"provnews {path}" in README, f"README never shows `provnews {path}`"
