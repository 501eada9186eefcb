"""Indexes on the dates the figures are read by, and published versions frozen in the database.

The indexes are on approvals' tables but serve only this app's statements (a period's accepted,
concluded, received, noticed, rated and licensed cases; ``promised_due`` is indexed already), so
they are created here, by name, without touching approvals' migrations; ``IF NOT EXISTS`` keeps
this harmless should approvals come to declare the same ones.

On PostgreSQL two triggers refuse what the services already refuse: changing or deleting a
published rule version, and changing a score (scores are written once, by their run).
"""

from django.db import migrations

INDEXES = [
    ("efficiency_src_accepted_on", "approvals_application", "accepted_on", "accepted_on IS NOT NULL"),
    ("efficiency_src_concluded_at", "approvals_application", "concluded_at", "concluded_at IS NOT NULL"),
    ("efficiency_src_received_on", "approvals_application", "received_on", "received_on IS NOT NULL"),
    ("efficiency_src_notice_issued", "approvals_onetimenotice", "issued_at", None),
    ("efficiency_src_rating_rated", "approvals_rating", "rated_at", None),
    ("efficiency_src_licence_issued", "approvals_licence", "issued_on", None),
]

FROZEN_FUNCTION = """
CREATE OR REPLACE FUNCTION efficiency_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'efficiency_scoringruleversion' THEN
        IF OLD.status <> 'published' THEN  -- a draft may still be edited, published or deleted
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
    END IF;
    RAISE EXCEPTION '% rows are never changed once written (%, id %)', TG_TABLE_NAME, TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    for name, table, column, condition in INDEXES:
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column}){where}")
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FROZEN_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER efficiency_published_version_frozen BEFORE UPDATE OR DELETE "
        "ON efficiency_scoringruleversion FOR EACH ROW EXECUTE FUNCTION efficiency_refuse_change()")
    schema_editor.execute(
        "CREATE TRIGGER efficiency_score_frozen BEFORE UPDATE ON efficiency_score "
        "FOR EACH ROW EXECUTE FUNCTION efficiency_refuse_change()")


def backwards(apps, schema_editor):
    for name, _table, _column, _condition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS efficiency_published_version_frozen ON efficiency_scoringruleversion")
    schema_editor.execute("DROP TRIGGER IF EXISTS efficiency_score_frozen ON efficiency_score")
    schema_editor.execute("DROP FUNCTION IF EXISTS efficiency_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("efficiency", "0001_initial"),
        ("approvals", "0004_named_sequences"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
