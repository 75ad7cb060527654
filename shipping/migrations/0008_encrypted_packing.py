# A parcel's packing needs copy the request's allergies and dietary needs: encrypted at rest as they
# are there (foodbank.crypto.EncryptedJSONField, docs/privacy.md). The column becomes text here, and
# 0009 encrypts what it holds.

from django.db import migrations

import foodbank.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0007_condition_checked"),
    ]

    operations = [
        migrations.AlterField(
            model_name="parcel",
            name="packing",
            field=foodbank.crypto.EncryptedJSONField(blank=True, default=dict),
        ),
    ]
