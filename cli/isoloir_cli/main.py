"""The `isoloir` command."""

import typer

app = typer.Typer(no_args_is_help=True, help="Run and operate the Isoloir platform.")
