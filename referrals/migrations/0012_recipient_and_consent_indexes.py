# The recipient's phone index without its LIKE twin, and no consent index that consent_lookup covers
# (docs/benchmarks.md).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("foodbank", "0009_name_kana"),
        ("referrals", "0011_request_allergen_packing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consentrecord",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consents",
                to="referrals.recipient",
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="recipient",
            name="phone_index",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="recipient",
            index=models.Index(fields=["phone_index"], name="recipient_phone_index"),
        ),
    ]
