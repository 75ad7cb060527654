from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0009_events_and_consents_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryrequest",
            name="allergens",
            field=models.JSONField(blank=True, default=list, verbose_name="allergens"),
        ),
    ]
