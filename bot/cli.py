"""The `champbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Only what `serve` needs to start its worker process is imported here: the database, the
# models and the commands' own modules are imported by the commands, so that the worker
# starts before the web process spends most of a second importing them (`early_worker`).
from bot.cli_serve import cmd_clock, cmd_serve, cmd_socket, cmd_worker, early_worker
from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.db import Database
    from bot.tenancy import Workspace

log = logging.getLogger("champbot")


class CliError(Exception):
    """A one-line message for the operator; exit status 2."""


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Bolt and slack_sdk log payloads at DEBUG; Alembic narrates every migration and matplotlib
    # its font cache at INFO. An operator's command prints its own result: keep them quiet.
    if settings.log_level != "DEBUG":
        for noisy in (
            "slack_bolt",
            "slack_sdk",
            "champbot.bolt",
            "apscheduler",
            "alembic",
            "matplotlib",
            "weasyprint",
            "fontTools",
        ):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Database

    db = Database(settings.database_url)
    before = db.current_revision()
    db.upgrade()
    print(f"database at {db.current_revision()} (was {before or 'empty'})")
    return 0


def _workspace(db: Database, args: argparse.Namespace) -> Workspace:
    from bot.workspaces import named_or_home

    try:
        return named_or_home(db, getattr(args, "team", None))
    except ValueError as error:
        raise CliError(str(error)) from None


def cmd_roster(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Database
    from bot.models import Role
    from bot.services import ServiceError, roster

    db = Database(settings.database_url)
    db.ensure_schema()
    try:
        with db.session(_workspace(db, args)) as session:
            if args.roster_cmd == "add":
                skills = [s for s in (args.skills or "").split(",") if s.strip()]
                member = roster.add(
                    session=session,
                    slack_user_id=args.user_id,
                    role=Role(args.role),
                    actor_id="cli",
                    area=args.area,
                    skills=skills if args.skills else None,
                )
                print(f"{member.slack_user_id}: {member.role.value}")
            elif args.roster_cmd == "remove":
                removed = roster.remove(session=session, slack_user_id=args.user_id, actor_id="cli")
                print("removed" if removed else f"{args.user_id} was not on the roster")
            else:
                members = roster.list_members(session=session)
                for m in members:
                    print(f"{m.slack_user_id}\t{m.role.value}\t{m.area or '-'}\t{m.skills or '-'}")
                if not members:
                    print("the roster is empty")
    except ServiceError as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_kb(settings: Settings, args: argparse.Namespace) -> int:
    from bot.knowledge import KnowledgeError
    from bot.knowledge.check import check_entries
    from bot.knowledge.entries import entry_files

    kb_dir = Path(args.dir) if args.dir else settings.kb_dir
    if args.kb_cmd == "check":
        try:
            today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
        except ValueError:
            raise CliError(f"--today must be a date like 2026-11-28, got {args.today!r}") from None
        problems = check_entries(kb_dir, today=today)
        for p in problems:
            print(p)
        errors = [p for p in problems if p.severity == "error"]
        count = len(entry_files(kb_dir))
        print(
            f"{count} entries checked: {len(errors)} errors, {len(problems) - len(errors)} warnings"
        )
        return 1 if problems else 0
    from bot.runtime import load_knowledge

    try:
        kb = load_knowledge(settings, kb_dir)
    except KnowledgeError as exc:
        raise CliError(str(exc)) from None
    if args.kb_cmd == "search":
        triage = kb.triage(" ".join(args.question))
        print(f"case: {triage.kind}" + ("  (immediate risk)" if triage.immediate_risk else ""))
        for rank, hit in enumerate(kb.search(" ".join(args.question), limit=args.limit), 1):
            print(f"{rank:>2}. {hit.score:.3f}  {hit.entry.id}  {hit.entry.title}")
        return 0
    from bot.knowledge.evaluation import (
        EvalSetError,
        calibrate,
        evaluate,
        format_report,
        load_eval_set,
        tune,
    )

    path = Path(args.file) if args.file else kb_dir / "eval" / "questions.yaml"
    try:
        questions = load_eval_set(path)
    except EvalSetError as exc:
        raise CliError(str(exc)) from None
    mode = "words and meaning" if kb.semantic else "words only (sentence model off or missing)"
    print(f"search: {mode}")
    if args.kb_cmd == "tune":
        # Fits the calibration and thresholds on the tune split and prints them, for the
        # settings in bot/knowledge/search.py; the test split is only reported on.
        cap = 0.10
        try:
            if args.cv:
                from bot.knowledge.crossval import choose_cap

                cap, fared = choose_cap(kb, questions, folds=args.cv, deals=3)
                for each in fared:
                    print(f"held out in {args.cv} folds of the tune split, 3 deals, {each}")
                print(f"cap on uncovered questions answered: {cap}")
            fitted = calibrate(kb, questions)
            chosen = tune(kb, questions, max_uncovered_answered=cap)
        except ValueError as exc:  # no tune split, or nothing to calibrate on
            raise CliError(str(exc)) from None
        print(f"calibration: {fitted}")
        print(
            f"answer_threshold: {chosen.answer_threshold}  "
            f"related_threshold: {chosen.related_threshold}  "
            f"topic_threshold: {chosen.topic_threshold}  sure_threshold: {chosen.sure_threshold}"
        )
        print(
            f"also_margin: {chosen.also_margin}  second_margin: {chosen.second_margin}  "
            f"second_share: {chosen.second_share}"
        )
        print(f"tune split with these: {100 * chosen.accuracy:.1f}% in the right case\n")
    report = evaluate(kb, questions)
    print(format_report(report, show_failures=args.failures))
    return 0


def cmd_manifest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.manifest import manifest

    if not args.agent_view:
        print(json.dumps(manifest(url=args.url, name=args.name), indent=2))
        return 0
    from bot.knowledge import KnowledgeError, load_entries
    from bot.services.prompts import pick
    from bot.views import assistant

    try:
        entries = load_entries(settings.kb_dir)
    except KnowledgeError as error:
        raise CliError(f"the agent view's prompts come from the knowledge base: {error}") from None
    examples = pick(entries, today=datetime.now(UTC).date())
    shown = manifest(
        url=args.url,
        name=args.name,
        agent_view=True,
        description=assistant.description(settings.network_name, settings.subject),
        prompts=assistant.suggested_prompts((e.title, e.message) for e in examples),
    )
    print(json.dumps(shown, indent=2))
    return 0


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console import run_console

    return run_console(settings, script=args.script)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Database
    from bot.knowledge.entries import KnowledgeError, load_entries
    from bot.report import ReportError, period_of, write_report

    try:
        since, until = period_of(args.since, args.until, args.tz, now=datetime.now(UTC))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    for path in (args.html, args.pdf, args.csv, args.png):
        if path and not Path(path).resolve().parent.is_dir():
            raise CliError(f"no such directory for {path!r}")
    try:
        entries = load_entries(settings.kb_dir)
    except (KnowledgeError, OSError):
        entries = []  # the figures still stand; entries are then named by their ids
    db = Database(settings.database_url)
    db.ensure_schema()
    with db.session(_workspace(db, args)) as session:
        print(
            write_report(
                session=session,
                since=since,
                until=until,
                csv_path=args.csv,
                png_path=args.png,
                html_path=args.html,
                pdf_path=args.pdf,
                zone=args.tz,
                network_name=settings.network_name,
                titles={e.id: e.title for e in entries},
                tags={e.id: list(e.tags) for e in entries},
                min_count=settings.report_min_count,
                settings=settings,
            )
        )
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    from bot.cli_national import with_national
    from bot.cli_serve import serve_arguments
    from bot.models import Role

    p = argparse.ArgumentParser(prog="champbot", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="run the HTTP app")
    serve_arguments(s)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("worker", help="(started by `serve`) run the work after the acks")
    s.add_argument("--fd", type=int, required=True, help="the socket `serve` passed down")
    s.add_argument("--scheduler", action="store_true", help="run the clock's jobs too")
    s.add_argument(
        "--after-schema",
        action="store_true",
        help="open the database only once `serve` says it has checked the schema",
    )
    s.set_defaults(func=cmd_worker)

    s = sub.add_parser("socket", help="run over Socket Mode (no public URL needed)")
    s.add_argument("--no-scheduler", action="store_true")
    s.set_defaults(func=cmd_socket)

    sub.add_parser("clock", help="run the scheduler alone").set_defaults(func=cmd_clock)

    s = sub.add_parser("db", help="the database")
    s.add_argument("db_cmd", choices=["upgrade"])
    s.set_defaults(func=cmd_db)

    s = sub.add_parser("roster", help="who is an officer, champion, lead or admin")
    rs = s.add_subparsers(dest="roster_cmd", required=True)
    a = rs.add_parser("add")
    a.add_argument("user_id")
    a.add_argument("--role", required=True, choices=[r.value for r in Role])
    a.add_argument("--area")
    a.add_argument("--skills", help="comma-separated, e.g. cyber,spo")
    r = rs.add_parser("remove")
    r.add_argument("user_id")
    li = rs.add_parser("list")
    for each in (a, r, li):
        each.add_argument("--team", help="the workspace (T…); default: the single workspace")
    s.set_defaults(func=cmd_roster)

    s = sub.add_parser("kb", help="the knowledge base")
    ks = s.add_subparsers(dest="kb_cmd", required=True)
    c = ks.add_parser("check", help="validate every entry; non-zero exit on any problem")
    c.add_argument("--dir")
    c.add_argument("--today", help="check as of this date (YYYY-MM-DD), e.g. for overdue reviews")
    q = ks.add_parser("search", help="show the ranked answers and their scores")
    q.add_argument("question", nargs="+")
    q.add_argument("--limit", type=int, default=5)
    q.add_argument("--dir")
    e = ks.add_parser("eval", help="accuracy on the evaluation set")
    e.add_argument("--file")
    e.add_argument("--dir")
    e.add_argument("--failures", action="store_true", help="list every miss")
    t = ks.add_parser(
        "tune", help="fit calibration and thresholds on the tune split; print them and the eval"
    )
    t.add_argument("--file")
    t.add_argument("--dir")
    t.add_argument("--failures", action="store_true", help="list every miss")
    t.add_argument(
        "--cv",
        type=int,
        metavar="FOLDS",
        help="choose the cap on uncovered questions answered by cross-validation in the tune split",
    )
    s.set_defaults(func=cmd_kb)

    s = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    s.add_argument(
        "--url", required=True, help="the public base URL, e.g. https://champbot.example"
    )
    s.add_argument("--name", default="Champion Network Bot")
    s.add_argument(
        "--agent-view",
        action="store_true",
        help="also the Messages tab in Slack's agent view (needs a plan that has it)",
    )
    s.set_defaults(func=cmd_manifest)

    s = sub.add_parser("console", help="try the whole bot locally, with no Slack workspace")
    s.add_argument("--script", help="read console input from this file instead of the terminal")
    s.set_defaults(func=cmd_console)

    s = sub.add_parser("report", help="impact figures, and the printable impact report")
    s.add_argument("--team", help="the workspace (T…); default: the single workspace")
    s.add_argument("--since", help="the first day covered, YYYY-MM-DD")
    s.add_argument("--until", help="the last day covered, YYYY-MM-DD (default: up to now)")
    s.add_argument("--csv", help="write weekly figures to this CSV file")
    s.add_argument("--png", help="write a chart of the weekly figures to this PNG file")
    s.add_argument("--html", help="write the printable impact report to this HTML file")
    s.add_argument("--pdf", help="write the printable impact report to this PDF file")
    s.add_argument(
        "--tz",
        default="Europe/London",
        help="the time zone the report's times and weeks are in (default Europe/London)",
    )
    s.set_defaults(func=cmd_report)
    return with_national(p, sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; operator errors are one line on stderr, never a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # `serve`'s worker starts first, and loads the model while this process imports the app
    worker = early_worker(argv)
    try:
        args = parser().parse_args(argv)
        from bot.db import SchemaOutOfDate

        try:
            settings = Settings.from_env()
            _logging(settings)
            if worker is not None:
                args.worker, worker = worker, None  # `cmd_serve` stops it
            return int(args.func(settings, args))
        except (ConfigError, SchemaOutOfDate, CliError) as exc:
            print(f"champbot: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    finally:
        if worker is not None:  # the command never started (a wrong argument)
            worker.close()


if __name__ == "__main__":
    threading.current_thread().name = "main"
    sys.exit(main())
