"""`lasting --help` lists every command, and every option of every command says what it is."""

from __future__ import annotations

import argparse
from pathlib import Path

from lasting.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options_without_help(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += options_without_help(sub, f"{path} {name}")
        elif not action.help:
            missing.append(f"{path} {action.option_strings or action.dest}")
    return missing


def test_every_option_of_every_command_has_help():
    assert options_without_help(build_parser(), "lasting") == []


def test_the_top_level_help_lists_every_command():
    parser = build_parser()

    text = parser.format_help()

    for name in commands(parser):
        assert f"    {name}" in text, name


def test_the_readme_names_every_command():
    readme = README.read_text()

    for name in commands(build_parser()):
        assert f"`{name}`" in readme or f"lasting {name}" in readme, name
