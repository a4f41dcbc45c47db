"""Sedation was stored on a reversed scale (0 awake - 5 unresponsive); store it on the MOAA/S.

The MOAA/S (Chernik 1990) runs the other way: 5 responds readily to name, 0 no response to
a painful stimulus. The conversion new = 5 - old is its own inverse, so the reverse
migration runs the same step.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import F


def flip_sedation_scale(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    TreatmentSession = apps.get_model("treatment", "TreatmentSession")
    TreatmentSession.objects.filter(sedation__isnull=False).update(sedation=5 - F("sedation"))


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0002_esketamine_rems_fields"),
    ]

    operations = [
        migrations.RunPython(flip_sedation_scale, flip_sedation_scale),
    ]
