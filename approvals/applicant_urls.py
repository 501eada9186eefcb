"""The applicant's online filing pages (included at the site root)."""

app_name = "apply"

urlpatterns: list = []
