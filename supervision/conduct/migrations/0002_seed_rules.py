"""The five off-system processing rules, with their default parameters (enabled).

Names, descriptions and defaults come from ``supervision.conduct.rules``; a rule that exists is
left as supervisors tuned it. No audit entry here (the audit trail's tables are not this
migration's to depend on); later changes go through ``tune_rule``, which audits them.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from supervision.conduct.rules import DEFINITIONS

    ConductRule = apps.get_model("conduct", "ConductRule")
    for code, definition in DEFINITIONS.items():
        ConductRule.objects.get_or_create(code=str(code), defaults={
            "name": definition.name, "description": definition.description,
            "parameters": definition.defaults(), "enabled": True, "version": 1,
            "updated_by_name": "系统初始化",
        })


def unseed(apps, schema_editor):
    apps.get_model("conduct", "ConductRule").objects.filter(flags__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("conduct", "0001_ledger_rules_flags")]

    operations = [migrations.RunPython(seed, unseed)]
