# Encrypts the allergens and allergen packing that 0013 made text columns, in a transaction of its
# own (docs/privacy.md); reversed, it decrypts them.

from django.db import migrations

import foodbank.crypto


class Migration(migrations.Migration):
    dependencies = [("referrals", "0013_encrypted_allergens")]

    operations = [foodbank.crypto.encrypting("referrals", "deliveryrequest", ("allergens", "allergen_packing"))]
