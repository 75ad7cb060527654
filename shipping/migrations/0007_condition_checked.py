from django.db import migrations, models


class Migration(migrations.Migration):
    """The packing event records the packer's condition check (docs/traceability.md)."""

    dependencies = [
        ("shipping", "0006_parcel_events_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="parcelevent",
            name="condition_checked",
            field=models.BooleanField(blank=True, null=True),
        ),
    ]
