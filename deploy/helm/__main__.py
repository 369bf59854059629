"""`python -m deploy.helm`: the Helm chart's generated values, tools and checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deploy.helm import check, platform
from deploy.helm.tools import ToolError, ensure_tools
from deploy.local.stack import default_cache_dir

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
Values = Annotated[list[Path] | None, typer.Option("--values", "-f", help="Extra values files, as for helm.")]


@app.command()
def generate() -> None:
    """Rewrite deploy/helm/los/generated/platform.yaml from the declarative lists."""
    changed = platform.write()
    typer.echo(f"{platform.GENERATED} {'rewritten' if changed else 'is current'}")


@app.command()
def tools() -> None:
    """Install helm, kubeconform and the schemas into the cache (once)."""
    try:
        found = ensure_tools(default_cache_dir())
    except ToolError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(f"helm {found.helm}\nkubeconform {found.kubeconform}\nCRD schemas {found.crd_schemas}")


@app.command("check")
def check_chart(values: Values = None) -> None:
    """Lint, render and validate the chart against the Kubernetes and CRD schemas."""
    try:
        found = ensure_tools(default_cache_dir())
        if platform.render() != (platform.GENERATED.read_text() if platform.GENERATED.exists() else ""):
            raise check.ChartError(f"{platform.GENERATED} is not current: run `python -m deploy.helm generate`")
        check.lint(found, values)
        manifest = check.template(found, values)
        summary = check.validate(found, manifest)
    except (ToolError, check.ChartError) as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    for version, counts in summary.items():
        typer.echo(f"Kubernetes {version}: {counts['valid']} objects valid, {counts['invalid']} invalid, "
                   f"{counts['errors']} errors, {counts['skipped']} skipped")


if __name__ == "__main__":
    app()
