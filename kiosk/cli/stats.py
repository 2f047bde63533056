"""``kiosk stats``: the analytics report, and ``kiosk stats merge`` for several kiosks (given as
files, or ``--fleet``: every kiosk's snapshot that the fleet brought to the curator's machine).

Thin on purpose: parse, call :mod:`kiosk.analytics.report` / :mod:`~kiosk.analytics.merge` /
:func:`kiosk.fleet.stats.merge_fleet`, print. Library modules are imported inside the commands
so ``kiosk --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from kiosk.cli._common import CONTEXT, config_option, fail, load_settings
from kiosk.cli.fleet import home_option


def _fail(message: str, code: int = 2) -> NoReturn:
    fail(f"kiosk stats: {message}", code)


def _database(db: Path | None, config: Path | None) -> Path:
    if db is not None:
        return db
    return load_settings(config).path("database")


@click.group("stats", invoke_without_command=True, context_settings=CONTEXT)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Analytics database (default: paths.database of the settings).",
)
@config_option
@click.option("--since", metavar="DATE", help="Only events on or after this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write one CSV file per table into this folder.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the report with charts as one HTML file (opens offline, prints).",
)
@click.pass_context
def stats(
    ctx: click.Context,
    db: Path | None,
    config: Path | None,
    since: str | None,
    as_json: bool,
    csv_dir: Path | None,
    html_file: Path | None,
) -> None:
    """Visitor analytics: visits per day and hour, visit length, explorers, clips watched to
    the end, languages, mirror use and faults.

    Reads the database without changing it; a running kiosk may go on writing meanwhile.
    Times are the kiosk's local time. `kiosk stats merge` combines several kiosks' files.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kiosk.analytics import render
    from kiosk.analytics.report import parse_since, report_for
    from kiosk.analytics.schema import SchemaError

    path = _database(db, config)
    try:
        since_iso = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if not path.exists():
        _fail(f"no analytics database at {path} (give one with --db, or set paths.database)")
    try:
        report = report_for(path, since_iso)
    except SchemaError as exc:
        _fail(str(exc))
    if csv_dir is not None:
        try:
            files = render.write_csv(report, csv_dir)
        except OSError as exc:
            _fail(f"cannot write CSV files to {csv_dir}: {exc}")
        click.echo(f"wrote {len(files)} CSV files to {csv_dir}", err=True)
    if html_file is not None:
        from kiosk.analytics.htmlreport import ChartsUnavailable, write_html

        try:
            write_html(report, html_file)
        except ChartsUnavailable as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write {html_file}: {exc}")
        click.echo(f"wrote {html_file}", err=True)
    if as_json:
        click.echo(render.to_json(report))
    else:
        click.echo(render.to_text(report, style=click.style))


@stats.command("merge", context_settings=CONTEXT)
@click.argument(
    "sources",
    nargs=-1,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The combined database: created if missing, added to if present.",
)
@click.option(
    "--fleet",
    "from_fleet",
    is_flag=True,
    help="Merge every kiosk's statistics the fleet brought here (on the curator's machine).",
)
@home_option
def merge_cmd(sources: tuple[Path, ...], output: Path, from_fleet: bool, home: Path) -> None:
    """Combine kiosks' analytics databases into one (e.g. museum.db): the SOURCES given, or
    with --fleet every kiosk's latest snapshot in the fleet home's stats folders.

    Each event keeps its kiosk's id; merging the same file again, or a newer copy of it,
    adds only what is new, so nothing is ever counted twice. Sources are only read.
    """
    from kiosk.analytics.merge import MergedSource, MergeError, merge

    if from_fleet == bool(sources):
        _fail("give the databases to merge, or --fleet (one of the two)")
    results: list[MergedSource]
    try:
        if from_fleet:
            from kiosk.fleet.layout import FleetError, FleetHome
            from kiosk.fleet.stats import merge_fleet

            try:
                results = merge_fleet(FleetHome(home), output)
            except FleetError as exc:
                _fail(str(exc), code=1)
        else:
            results = merge(list(sources), output)
    except MergeError as exc:
        _fail(str(exc))
    for r in results:
        kiosks = ", ".join(r.kiosks) or "no events"
        click.echo(f"{r.source}: {r.events_read:,} events ({kiosks}), {r.events_added:,} new")
    click.echo(f"merged into {output}")
