"""The FHIR R4 interactions under /fhir/: one named route per interaction, so the access
matrix (tests/fhir/test_access_matrix.py) can list them all from the resolver."""

from django.urls import path

from lasting.fhir import views

app_name = "fhir"

READ_AND_SEARCH = (
    "Patient",
    "Questionnaire",
    "Observation",
    "Procedure",
    "Appointment",
    "CarePlan",
    "Flag",
)

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path(
        "QuestionnaireResponse",
        views.questionnaire_responses,
        {"resource_type": "QuestionnaireResponse"},
        name="questionnaireresponse_search_create",
    ),
    path(
        "QuestionnaireResponse/<str:resource_id>",
        views.read,
        {"resource_type": "QuestionnaireResponse"},
        name="questionnaireresponse_read",
    ),
]
for resource_type in READ_AND_SEARCH:
    urlpatterns += [
        path(
            resource_type,
            views.search,
            {"resource_type": resource_type},
            name=f"{resource_type.lower()}_search",
        ),
        path(
            f"{resource_type}/<str:resource_id>",
            views.read,
            {"resource_type": resource_type},
            name=f"{resource_type.lower()}_read",
        ),
    ]
urlpatterns.append(path("<path:rest>", views.unknown, name="unknown"))
