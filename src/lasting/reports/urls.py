from django.urls import path

from lasting.reports import views

app_name = "reports"

urlpatterns = [
    path("patients/<int:patient_id>/report/", views.clinician_report, name="clinician"),
    path("patients/<int:patient_id>/report.pdf", views.clinician_report_pdf, name="clinician_pdf"),
    path("me/report/", views.patient_report, name="patient"),
    path("me/report.pdf", views.patient_report_pdf, name="patient_pdf"),
    path("patients/<int:patient_id>/record/", views.clinician_record, name="clinician_record"),
    path(
        "patients/<int:patient_id>/record.json",
        views.clinician_record_json,
        name="clinician_record_json",
    ),
    path(
        "patients/<int:patient_id>/record.pdf",
        views.clinician_record_pdf,
        name="clinician_record_pdf",
    ),
    path("me/record/", views.patient_record, name="patient_record"),
    path("me/record.json", views.patient_record_json, name="patient_record_json"),
    path("me/record.pdf", views.patient_record_pdf, name="patient_record_pdf"),
]
