from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "lasting.fhir"
    label = "fhir"
