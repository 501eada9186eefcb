"""Seed the working-day calendar so that a fresh database can count deadlines (TIME_RULES.md §2).

Runs the same code as ``manage.py seed_calendar`` on the historical models; no audit entry here
(the audit trail's tables are not this migration's to depend on): the seeded rows say their
source ("chinesecalendar 1.11.0", published by 系统) in the year table.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from portal.workdays.seeding import seed_calendar, seed_through_year

    seed_calendar(
        apps.get_model("workdays", "CalendarDay"),
        apps.get_model("workdays", "CalendarYear"),
        through_year=seed_through_year(),
        using=schema_editor.connection.alias,
    )


def unseed(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("workdays", "CalendarDay").objects.using(alias).all().delete()
    apps.get_model("workdays", "CalendarYear").objects.using(alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
