from django.db import migrations, models


class Migration(migrations.Migration):
    """Handouts record the condition check (docs/traceability.md). Handouts logged before it stay
    null (not known), not "checked": the column is added without a default, then gets one."""

    dependencies = [
        ("inventory", "0007_ledger_append_only_mechanism"),
    ]

    operations = [
        migrations.AddField(
            model_name="handout",
            name="condition_checked",
            field=models.BooleanField(null=True, verbose_name="condition checked"),
        ),
        migrations.AlterField(
            model_name="handout",
            name="condition_checked",
            field=models.BooleanField(default=True, null=True, verbose_name="condition checked"),
        ),
    ]
