"""The engine's assessments and clinic prior now belong to the `risk` app: only the
migration state moves here; `risk.0001_initial` takes the tables over and renames them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0003_relapse_state_not_assessed'),
        ('risk', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ClinicPrior'),
                migrations.DeleteModel(name='RiskAssessment'),
            ],
            database_operations=[],
        ),
    ]
