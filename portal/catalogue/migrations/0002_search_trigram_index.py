"""A pg_trgm GIN index for substring search on Chinese text (PostgreSQL only).

PostgreSQL's full-text search does not segment Chinese, so the guide searches substrings of a
lower-cased column; pg_trgm's GIN index serves ``LIKE '%term%'`` on it. SQLite scans (the embedded
default serves a small catalogue; production runs PostgreSQL).
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalogue_itemversion_search_trgm "
        "ON catalogue_itemversion USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalogue_itemversion_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
