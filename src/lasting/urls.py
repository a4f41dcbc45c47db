from django.urls import include, path

from lasting import health
from lasting.clinic import views as clinic_views

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("lasting.accounts.urls")),
    path("", include("lasting.clinic.urls")),
    path("patients/", include("lasting.patients.urls")),
    path("", include("lasting.treatment.urls")),
    path("", include("lasting.intake.urls")),
    path("", include("lasting.checkins.urls")),
    path("alerts/", include("lasting.alerts.urls")),
    path("", include("lasting.plans.urls")),
    path("", include("lasting.prevention.urls")),
    path("", include("lasting.outreach.urls")),
    path("", include("lasting.schedule.urls")),
    path("", include("lasting.portal.urls")),
    path("", include("lasting.evaluations.urls")),
    path("", include("lasting.reports.urls")),
    path("outcomes/", include("lasting.outcomes.urls")),
    path("fhir/", include("lasting.fhir.urls")),
    path("api/v1/", include("lasting.api.urls")),
]
