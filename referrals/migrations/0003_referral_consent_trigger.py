"""The database refuses a referral without a valid consent to referral (PostgreSQL).

A trigger on ``referrals_referral`` checks, for every new row (and any change of its person or
consent), that ``consent_id`` names a ``referral`` consent of the same person, given, not
withdrawn and not superseded by a later decision. The service checks the same under a row lock;
this is the backstop for any code (or psql session) that goes around it. Closing a referral after
a withdrawal changes neither column, so it is not re-checked. SQLite: the non-null foreign key only.
"""

from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION referrals_referral_requires_consent() RETURNS trigger AS $$
DECLARE
    c referrals_consentrecord%ROWTYPE;
BEGIN
    SELECT * INTO c FROM referrals_consentrecord WHERE id = NEW.consent_id;
    IF NOT FOUND
        OR c.purpose <> 'referral'
        OR c.decision <> 'given'
        OR c.recipient_id <> NEW.recipient_id
        OR EXISTS (SELECT 1 FROM referrals_consentwithdrawal w WHERE w.consent_id = c.id)
        OR EXISTS (
            SELECT 1 FROM referrals_consentrecord later
            WHERE later.recipient_id = c.recipient_id AND later.purpose = 'referral'
              AND (later.decided_at, later.id) > (c.decided_at, c.id)
        )
    THEN
        RAISE EXCEPTION 'referral refused: consent % is not a valid referral consent of person %',
            NEW.consent_id, NEW.recipient_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER referrals_referral_requires_consent "
        "BEFORE INSERT OR UPDATE OF consent_id, recipient_id ON referrals_referral "
        "FOR EACH ROW EXECUTE FUNCTION referrals_referral_requires_consent()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS referrals_referral_requires_consent ON referrals_referral")
    schema_editor.execute("DROP FUNCTION IF EXISTS referrals_referral_requires_consent()")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_referrals_back")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
