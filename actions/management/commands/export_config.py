from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actions import configfile


class Command(BaseCommand):
    help = (
        "Write the whole configuration (channels, actions, handoffs, agents) as one YAML file. "
        "Credentials and API keys are never written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write it (default: standard output)")

    def handle(self, *args, file, **options):
        text = configfile.export_config()
        if not file or file == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror or exc}.") from None
        self.stderr.write(f"Configuration written to {file}.")
