"""Staff screens, included under /supervision/efficiency/."""

from django.urls import path

from supervision.efficiency import views

app_name = "efficiency"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("data/", views.dashboard_data, name="dashboard_data"),
    path("export.xlsx", views.dashboard_export, {"fmt": "xlsx"}, name="dashboard_export_xlsx"),
    path("export.csv", views.dashboard_export, {"fmt": "csv"}, name="dashboard_export_csv"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/export.xlsx", views.run_export, {"fmt": "xlsx"}, name="run_export_xlsx"),
    path("runs/<int:pk>/export.csv", views.run_export, {"fmt": "csv"}, name="run_export_csv"),
    path("scores/<int:pk>/", views.score, name="score"),
    path("scores/<int:pk>/cases/<str:figure>/", views.score_cases, name="score_cases"),
    path("rules/", views.rules, name="rules"),
]
