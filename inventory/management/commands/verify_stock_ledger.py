"""Check that every stock balance equals the sum of its ledger movements (and that reserved stock
equals the open reservations). Prints each difference; exits with status 1 when there is any."""

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_differences


class Command(BaseCommand):
    help = "Verify that every stock balance equals its ledger sum; exit 1 and list the lots that differ."

    def add_arguments(self, parser):
        parser.add_argument("--food-bank", type=int, help="Only this food bank (organisation id).")

    def handle(self, *args, food_bank=None, **options):
        differences = ledger_differences(food_bank_id=food_bank)
        for difference in differences:
            self.stderr.write(str(difference))
        if differences:
            raise CommandError(f"{len(differences)} balance(s) differ from the ledger.")
        self.stdout.write(self.style.SUCCESS("Every balance equals its ledger sum."))
