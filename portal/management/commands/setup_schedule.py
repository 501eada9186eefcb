from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from portal.schedule import SCHEDULE


class Command(BaseCommand):
    help = "Write the beat schedule of portal/schedule.py into django-celery-beat (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        for entry in SCHEDULE:
            crontab, _created = CrontabSchedule.objects.get_or_create(
                minute=entry.minute, hour=entry.hour, day_of_week="*", day_of_month="*", month_of_year="*",
                timezone="Asia/Shanghai",
            )
            task, created = PeriodicTask.objects.get_or_create(
                name=entry.name, defaults={"task": entry.task, "crontab": crontab, "expire_seconds": entry.expires_seconds}
            )
            if not created:
                task.task, task.crontab, task.expire_seconds = entry.task, crontab, entry.expires_seconds
                task.save(update_fields=["task", "crontab", "expire_seconds"])
        self.stdout.write(f"Beat schedule: {len(SCHEDULE)} entries.")
