"""The audit chain becomes keyed (HMAC-SHA256 with the audit key, kept outside the
database), its head counts its events, and on PostgreSQL the table refuses UPDATE and
DELETE. Existing events are re-chained with the key after their unkeyed chain verifies;
a trail that does not verify stops the upgrade instead of being blessed by it."""

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import migrations, models

GENESIS_HASH = "0" * 64
FIELDS = (
    "user_id",
    "username",
    "organization_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "address",
    "request_id",
)


def payload(event: Any) -> str:
    fields = {"at": event.at.isoformat(), **{name: getattr(event, name) for name in FIELDS}}
    return json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))


def rechain_with_key(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    key = settings.AUDIT_KEY.encode()
    previous_unkeyed = previous_keyed = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        text = payload(event)
        unkeyed = hashlib.sha256((previous_unkeyed + text).encode()).hexdigest()
        if event.previous_hash != previous_unkeyed or event.hash != unkeyed:
            raise RuntimeError(
                f"The audit trail does not verify at event {event.pk}: run `lasting audit "
                "verify` with the previous version and investigate before upgrading."
            )
        keyed = hmac.new(key, (previous_keyed + text).encode(), hashlib.sha256).hexdigest()
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=previous_keyed, hash=keyed)
        previous_unkeyed, previous_keyed = unkeyed, keyed
        count += 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None:
        if head.last_hash != previous_unkeyed:
            raise RuntimeError(
                "The audit trail's newest events are missing (the chain head does not match): "
                "investigate before upgrading."
            )
        ChainHead.objects.filter(pk=1).update(last_hash=previous_keyed, count=count)


APPEND_ONLY = """
CREATE OR REPLACE FUNCTION lasting_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the audit trail is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION lasting_audit_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS lasting_audit_append_only();
"""


def make_append_only(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def allow_changes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="count",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(rechain_with_key, migrations.RunPython.noop),
        migrations.RunPython(make_append_only, allow_changes),
    ]
