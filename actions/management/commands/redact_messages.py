from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.messaging import retention


class Command(BaseCommand):
    help = (
        "Remove the body, parameters and variables of messages older than the retention "
        "period (MESSAGE_RETENTION_DAYS), keeping their status, times and timeline."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="redact messages older than this many days "
            "(default: MESSAGE_RETENTION_DAYS; 0 redacts nothing)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the messages; change nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="messages per UPDATE (default: MESSAGE_RETENTION_BATCH)",
        )

    def handle(self, *args, days, dry_run, batch_size, **options):
        if days is None:
            days = settings.MESSAGE_RETENTION_DAYS
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if days == 0:
            self.stdout.write("Retention is off (0 days): no message redacted.")
            return
        if dry_run:
            count = retention.count_due(days=days)
            self.stdout.write(f"{count} message(s) older than {days} days would be redacted.")
            return
        count = retention.redact_old_messages(days=days, batch_size=batch_size)
        self.stdout.write(f"{count} message(s) older than {days} days redacted.")
