from django.apps import AppConfig


class IntermediariesConfig(AppConfig):
    name = "intermediaries"
