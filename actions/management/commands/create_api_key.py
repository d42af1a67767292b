from django.core.management.base import BaseCommand, CommandError

from actions.models import Agent, ApiKey, Environment


class Command(BaseCommand):
    help = "Create an API key for an agent and print it once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("agent", help="the agent's name")
        parser.add_argument(
            "--environment", required=True, choices=[value for value, _ in Environment.choices]
        )
        parser.add_argument("--label", default="", help="a note on what the key is for")

    def handle(self, *args, agent, environment, label, **options):
        found = Agent.objects.filter(name=agent).first()
        if found is None:
            names = ", ".join(Agent.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"There is no agent named “{agent}” (agents: {names}).")
        key, plaintext = ApiKey.issue(found, environment, label)
        self.stderr.write(
            f"Created key {key.prefix}… for {found.name} ({environment}). "
            "It is shown once; store it now."
        )
        self.stdout.write(plaintext)
