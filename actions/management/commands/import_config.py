import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from actions import configfile
from actions.models import ApiKey


class Command(BaseCommand):
    help = (
        "Import a configuration file: check all of it, then apply it in one transaction "
        "(all or nothing). Items are matched by name; what the file does not mention is kept "
        "unless --prune is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the YAML file (- for standard input)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and print the plan; change nothing",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="also delete what the file does not mention, in the sections it contains",
        )
        parser.add_argument(
            "--user", default="", help="the username the audit trail records the changes under"
        )

    def handle(self, *args, file, dry_run, prune, user, **options):
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(f"There is no user named “{user}”.")
        try:
            data = configfile.load(read(file))
            if dry_run:
                plan = configfile.plan(data, prune=prune)
            else:
                plan = configfile.apply(data, prune=prune, user=author)
        except configfile.ConfigError as exc:
            raise CommandError(problems_text(file, exc)) from None
        except DatabaseError as exc:
            raise CommandError(
                f"Nothing was imported: the database refused a change ({exc})."
            ) from None
        for line in plan.describe():
            self.stdout.write(line)
        if dry_run:
            for change in plan.changes:
                if change.kind == "delete" and change.section == "agents":
                    keys = ApiKey.objects.active().filter(agent__name=change.name).count()
                    if keys:
                        self.stdout.write(
                            f"Deleting agent {change.name} also deletes its {keys} active "
                            f"API key{'s' if keys != 1 else ''}."
                        )
            self.stdout.write(f"Dry run: {plan.summary()} Nothing was changed.")
        elif plan.is_empty:
            self.stdout.write("Nothing to change: the configuration already matches the file.")
        else:
            counts = plan.counts
            self.stdout.write(
                f"Imported: {counts['create']} created, {counts['update']} updated, "
                f"{counts['delete']} deleted."
            )


def read(file: str) -> bytes:
    """At most one byte more than a configuration file may hold: a bigger file is not read."""
    limit = configfile.MAX_BYTES + 1
    try:
        if file == "-":
            return sys.stdin.buffer.read(limit)
        with open(file, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > configfile.MAX_BYTES:  # say how big it really is, without reading it
                raise configfile.ConfigError([configfile.too_big(size)])
            return handle.read(limit)
    except OSError as exc:
        raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None


def problems_text(file: str, error: configfile.ConfigError) -> str:
    count = len(error.problems)
    lines = [f"{file} was not imported: {count} problem{'s' if count != 1 else ''}."]
    for problem in error.problems:
        line = error.line_of(problem)
        lines.append(f"{problem} (line {line})" if line else str(problem))
    return "\n".join(lines)
