"""The `forum` command: serve, migrate, seed and manage accounts from scripts."""

import os
import sys
from pathlib import Path

import typer
from alembic import command
from alembic.config import Config
from rich.console import Console
from rich.table import Table

from app.core.config import ROOT, get_settings

app = typer.Typer(help="Common Ground forum", no_args_is_help=True)
console = Console(width=int(os.environ.get("COLUMNS", "150")))


@app.callback()
def connect_domains() -> None:
    """Every command writes as the web app does: the hooks' receivers are connected (app.wiring)."""
    import app.wiring  # noqa: F401


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return config


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@app.command()
def migrate(revision: str = typer.Argument("head", help="Alembic revision to upgrade to")) -> None:
    """Apply database migrations."""
    _ensure_sqlite_folder(get_settings().database_url)
    command.upgrade(alembic_config(), revision)
    console.print(f"[green]Database at revision {revision}.[/green]")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Alembic revision to go down to, e.g. base")) -> None:
    """Undo database migrations down to a revision."""
    command.downgrade(alembic_config(), revision)


@app.command("seed-demo")
def seed_demo(
    if_empty: bool = typer.Option(True, help="Only seed a database with no members"),
    accounts_file: Path = typer.Option(ROOT / "var" / "demo-accounts.txt", help="Where to save the demo logins"),
) -> None:
    """Fill an empty database with the demo network, and print the demo accounts."""
    from app.core.db import get_database
    from app.seed.demo import is_empty
    from app.seed.demo import seed_demo as load_demo

    with get_database().session() as session:
        if if_empty and not is_empty(session):
            console.print("Database already has members; demo not seeded.")
            return
        accounts = load_demo(session)
        session.commit()
    table = Table(title=f"Demo accounts (also saved in {accounts_file})")
    for column in ("role", "email", "password"):
        table.add_column(column)
    lines = []
    for role, email, password in accounts[:4]:
        table.add_row(role, email, password)
        lines.append(f"{role}\t{email}\t{password}")
    console.print(table)
    accounts_file.parent.mkdir(parents=True, exist_ok=True)
    accounts_file.write_text("\n".join(lines) + "\n")
    accounts_file.chmod(0o600)


@app.command("seed-bench")
def seed_bench(
    members: int = typer.Option(200), threads: int = typer.Option(1000), posts: int = typer.Option(50_000),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same corpus"),
) -> None:
    """Bulk-load a deterministic benchmark corpus and print the URLs to benchmark."""
    import time

    from app.bench.seed import BENCH_PASSWORD
    from app.bench.seed import seed_bench as load_bench
    from app.core.db import get_database

    started = time.perf_counter()
    with get_database().session() as session:
        corpus = load_bench(session, members=members, threads=threads, posts=posts, seed=seed)
        session.commit()
    console.print(f"Seeded {corpus.posts:,} posts in {time.perf_counter() - started:.1f} s.")
    console.print(f"100-post thread: {corpus.thread_url}")
    console.print(f"channel page:    {corpus.channel_url}")
    console.print(f"search:          {corpus.search_url}")
    console.print(f"common search:   {corpus.common_search_url}")
    console.print(f"sign in as {corpus.member_email} / {BENCH_PASSWORD!r}")


@app.command("search-reindex")
def search_reindex() -> None:
    """Rebuild the search index from the posts (after a bulk import, or to recover a damaged index)."""
    from app.core.db import get_database
    from app.search import service as search

    with get_database().session() as session:
        count = search.reindex(session)
        session.commit()
    console.print(f"Indexed {count:,} posts.")


@app.command("lessons-rebuild")
def lessons_rebuild() -> None:
    """Store the four parts of every lesson post again (after the upgrade that added them, or an import)."""
    from app.core.db import get_database
    from app.learning import service as learning

    with get_database().session() as session:
        count = learning.rebuild_lessons(session)
        session.commit()
    console.print(f"Stored the parts of {count:,} lesson posts.")


@app.command()
def bench(
    postgres_url: str = typer.Option("", envvar="BENCH_POSTGRES_URL",
                                     help="Also benchmark on this PostgreSQL database (it is recreated)"),
    duration: int = typer.Option(10, help="Seconds of load per target"),
    connections: int = typer.Option(32),
    posts: int = typer.Option(50_000),
) -> None:
    """Benchmark the real server on loopback; writes var/bench/latest.json and prints a table."""
    from app.bench.run import main as run_bench

    report = run_bench(postgres_url=postgres_url or None, duration=duration, connections=connections, posts=posts)
    table = Table(title=f"Common Ground benchmark ({report['machine']['load']}, {posts:,} posts)")
    for column in ("db", "target", "req/s", "p50 ms", "p99 ms", "errors", "bytes", "gzip", "+CSS+JS", "queries",
                   "× ceiling"):
        table.add_column(column, justify="right" if column not in ("db", "target") else "left")
    for r in report["results"]:
        table.add_row(r["database"], r["target"], f"{r['requests_per_s']:.0f}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}", str(r["errors"]), f"{r['response_bytes']:,}", f"{r['gzip_bytes']:,}",
                      f"{r['page_bytes']:,}",
                      str(r["queries"] if r["queries"] is not None else "-"), f"{r['ratio_to_ceiling']:.3f}")
    console.print(table)
    console.print(f"Peak memory per worker (MB): {report['peak_worker_memory_mb']}")
    for database, ratios in report["thread_page_ratios"].items():
        parts = ", ".join(f"{name} = {ratio:.2f}" for name, ratio in ratios.items())
        console.print(f"Thread page, {database}: {parts}")


@app.command("bench-digests")
def bench_digests(subscribers: int = typer.Option(10_000)) -> None:
    """Send one week's digests to many subscribers through an SMTP server on loopback; print messages/s."""
    from app.bench.digests import run

    report = run(subscribers)
    console.print(" ".join(f"{key}={value}" for key, value in report.items()))


@app.command("create-user")
def create_user(
    email: str = typer.Option(...), name: str = typer.Option(...), handle: str = typer.Option(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
    role: str = typer.Option("member", help="member, moderator or admin"),
) -> None:
    """Create an account (for scripts); the password is read from stdin."""
    from app.accounts import service
    from app.accounts.models import Role
    from app.core.db import get_database

    if not password_stdin:
        console.print("[red]Pass --password-stdin and the password on standard input.[/red]")
        raise typer.Exit(2)
    if role not in Role.__members__:
        console.print("[red]Role must be member, moderator or admin.[/red]")
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    profile = service.ProfileInput(display_name=name)
    with get_database().session() as session:
        problems = service.check_sign_up(session, email=email, handle=handle, password=password, profile=profile,
                                         allow_reserved=True)
        if service.member_by_email(session, email):
            problems.add("email", "An account with this email already exists.")
        if problems:
            for field, message in problems.fields.items():
                console.print(f"[red]{field}: {message}[/red]")
            raise typer.Exit(1)
        member = service.create_member(session, email=email, handle=handle, password=password, profile=profile,
                                       role=role)
        session.commit()
        console.print(f"Created {member.role} @{member.handle}.")


@app.command()
def invite(email: str = typer.Option(...), role: str = typer.Option("member"),
           days: int = typer.Option(14, help="Days the link stays open, from 1 to 90")) -> None:
    """Create an invitation, email its sign-up link and print it (as the admins' invitations page does)."""
    from app.accounts import invitations, service
    from app.core import email as email_transport
    from app.core.db import get_database

    with get_database().session() as session:
        token, problems = invitations.invite_member(session, email=email, role=role, days=days)
        if token is None:
            for field, message in problems.fields.items():
                console.print(f"[red]{field}: {message}[/red]")
            raise typer.Exit(1)
        session.commit()
    link = invitations.invitation_link(token)
    console.print(link)  # first: should the email fail, the link still reaches the invitee this way
    email_transport.send(invitations.invitation_email(email=service.normalise_email(email), link=link, days=days))


@app.command("rotate-anonymity-key")
def rotate_anonymity_key() -> None:
    """Re-seal the safe space under a new ANONYMITY_KEY; reads the old key, then the new, from stdin."""
    from app.core.db import get_database
    from app.safespace.service import rekey

    old_key, new_key = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if len(new_key) < 32 or old_key == new_key:
        console.print("[red]Give the old key, then a different new key of at least 32 characters.[/red]")
        raise typer.Exit(2)
    with get_database().session() as session:
        changed = rekey(session, old_key, new_key)
        session.commit()
    console.print(f"Re-sealed {changed} posts. Now set ANONYMITY_KEY to the new key and restart.")


@app.command()
def release() -> None:
    """Run the safe space's latest release now, if it has not run (the server runs each on time)."""
    from app.main import release_now

    console.print(f"Published {release_now()} safe-space posts.")


@app.command("backup")
def backup_command(path: Path = typer.Argument(..., help="A new file for the backup")) -> None:
    """Back the database up to a file, safely while the server runs (SQLite's online backup; pg_dump)."""
    from app.core import backup

    _say_counts(lambda: backup.backup(get_settings().database_url, path))


@app.command("restore")
def restore_command(
    path: Path = typer.Argument(..., help="A file made by forum backup"),
    force: bool = typer.Option(False, help="Replace a database that holds members (stop the server first)"),
) -> None:
    """Put a backup back: checks its integrity, and refuses to replace a database in use without --force."""
    from app.core import backup

    _say_counts(lambda: backup.restore(path, get_settings().database_url, force=force))


def _say_counts(action) -> None:
    """Run a backup or a restore; print its row counts, or why it did not happen."""
    from app.core.backup import BackupError

    try:
        found = action()
    except BackupError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    table = Table("table", "rows")
    for name, rows in found.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


digest_app = typer.Typer(help="Email digests", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("run")
def digest_run(
    frequency: str = typer.Option("", help="daily or weekly: only those subscriptions"),
    period: str = typer.Option("", help="send this period (2026-12-01, 2026-W48)"),
    force: bool = typer.Option(False, help="send a period that is not over yet (its later news will not follow)"),
) -> None:
    """Build and send the digests that are due and not sent yet (safe to run again, or twice at once)."""
    from rich.progress import Progress

    from app.digest import sending, windows

    if frequency and frequency not in ("daily", "weekly"):
        raise typer.BadParameter("daily or weekly", param_hint="--frequency")
    if period:
        try:
            named = windows.parse(period)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--period") from error
        from app.core.timeutil import utcnow

        if named.end > utcnow() and not force:
            raise typer.BadParameter("that period is not over: what comes later in it would never be sent "
                                     "(add --force to send it anyway)", param_hint="--period")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Digests", total=None)
        summary = sending.run(frequency=frequency or None, period=period or None,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"Sent {summary.sent}, skipped {summary.empty} empty, {summary.failed} failed, "
                  f"{summary.already} already sent or not due.")


notify_app = typer.Typer(help="Notification emails", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("run")
def notify_run() -> None:
    """Email members what they were told in the app and have not read (one email per thread a quarter
    hour; safe to run again, or twice at once). Run it every few minutes."""
    from app.notifications import emails

    summary = emails.run()
    console.print(f"Sent {summary.sent}, {summary.waiting} waiting for their quarter hour, {summary.failed} failed, "
                  f"{summary.skipped} with nothing left to tell.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="HOST"), port: int = typer.Option(8000, envvar="PORT"),
    workers: int = typer.Option(1, envvar="WEB_CONCURRENCY"), reload: bool = False,
) -> None:
    """Serve the forum with Uvicorn."""
    import uvicorn

    from app.main import release_now

    try:
        release_now()  # catch up with any release missed while no server ran
    except Exception as exc:  # an unmigrated database: the server says so on its own pages
        console.print(f"[yellow]Could not run the safe space's release: {exc}[/yellow]")
    console.print(f"Serving Common Ground on http://{host}:{port}")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                reload_dirs=[str(ROOT / "app"), str(ROOT / "templates")] if reload else None,
                reload_includes=["*.py", "*.html"] if reload else None, proxy_headers=True, access_log=False)


if __name__ == "__main__":
    app()
