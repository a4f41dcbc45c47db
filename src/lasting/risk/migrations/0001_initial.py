"""The engine's tables move here from `alerts` unchanged: the state moves, the rows stay,
and the tables are renamed to this app's names."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0004_scheduler_role'),
        ('patients', '0002_portal_access'),
        ('alerts', '0003_relapse_state_not_assessed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ClinicPrior',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('fitted_at', models.DateTimeField()),
                        ('parameters', models.JSONField()),
                        ('organization', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='engine_prior', to='accounts.organization')),
                    ],
                    options={'db_table': 'alerts_clinicprior'},
                ),
                migrations.CreateModel(
                    name='RiskAssessment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('assessed_on', models.DateField()),
                        ('computed_at', models.DateTimeField()),
                        ('level', models.FloatField(null=True)),
                        ('level_sd', models.FloatField(null=True)),
                        ('slope_per_week', models.FloatField(null=True)),
                        ('p_relapse_14d', models.FloatField(null=True)),
                        ('p_relapse_28d', models.FloatField(null=True)),
                        ('crossing_on', models.DateField(null=True)),
                        ('crossing_earliest_on', models.DateField(null=True)),
                        ('crossing_latest_on', models.DateField(null=True)),
                        ('relapse_bar', models.FloatField(null=True)),
                        ('relapse_state', models.CharField(blank=True, choices=[('not_started', 'Before induction'), ('no_baseline', 'No baseline PHQ-9'), ('not_assessed', 'Response not judged yet (end of induction)'), ('not_responded', 'Not responded (yet)'), ('responding', 'Responding'), ('pending_confirmation', 'Relapse-level score, awaiting confirmation'), ('relapsed', 'Relapsed')], max_length=32)),
                        ('explanation', models.TextField(blank=True)),
                        ('signals', models.JSONField(default=list)),
                        ('engine_state', models.TextField(blank=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organization')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assessments', to='patients.patient')),
                    ],
                    options={
                        'db_table': 'alerts_riskassessment',
                        'ordering': ['assessed_on'],
                        'constraints': [models.UniqueConstraint(fields=('patient', 'assessed_on'), name='one_assessment_per_patient_day')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='clinicprior', table=None),
        migrations.AlterModelTable(name='riskassessment', table=None),
    ]
