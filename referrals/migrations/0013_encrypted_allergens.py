# Which allergens a household avoids, and what packing did about them, encrypted at rest like the
# allergies' text (foodbank.crypto.EncryptedJSONField, docs/privacy.md): the columns become text
# here, and 0014 encrypts what they hold.

from django.db import migrations

import foodbank.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0012_recipient_and_consent_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deliveryrequest",
            name="allergens",
            field=foodbank.crypto.EncryptedJSONField(blank=True, default=list, verbose_name="allergens"),
        ),
        migrations.AlterField(
            model_name="deliveryrequest",
            name="allergen_packing",
            field=foodbank.crypto.EncryptedJSONField(blank=True, default=list, verbose_name="packing for allergies"),
        ),
    ]
