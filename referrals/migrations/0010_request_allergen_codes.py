from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0008_request_event_corrected_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryrequest",
            name="allergens",
            field=models.JSONField(blank=True, default=list, verbose_name="allergens"),
        ),
    ]
