# Encrypts the packing needs that 0008 made a text column, in a transaction of its own
# (docs/privacy.md); reversed, it decrypts them.

from django.db import migrations

import foodbank.crypto


class Migration(migrations.Migration):
    dependencies = [("shipping", "0008_encrypted_packing")]

    operations = [foodbank.crypto.encrypting("shipping", "parcel", ("packing",))]
