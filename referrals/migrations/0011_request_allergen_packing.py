from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0010_request_allergen_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryrequest",
            name="allergen_packing",
            field=models.JSONField(blank=True, default=list, verbose_name="packing for allergies"),
        ),
    ]
