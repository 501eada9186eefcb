from django.core.management.base import BaseCommand

from portal.audit.context import acting_as
from portal.demo import DEMO_PASSWORD, STAFF, load_demo


class Command(BaseCommand):
    help = "Load the demo city, departments, users and catalogue (only what is missing)."

    def handle(self, *args, **options):
        with acting_as("command"):
            created = load_demo()
        self.stdout.write(
            "Demo data: created {regions} regions, {departments} departments, {users} users, {items} items "
            "(existing ones left as they were).".format(**created)
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(row[0] for row in STAFF))
