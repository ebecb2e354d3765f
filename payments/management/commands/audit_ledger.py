from django.core.management.base import BaseCommand, CommandError

from payments.ledger import ledger_audit
from payments.models import JournalEntry, Wallet


class Command(BaseCommand):
    help = "Check that every ledger journal balances and every wallet equals the sums of its ledger entries."

    def handle(self, *args, **options):
        problems = ledger_audit()
        if problems:
            for problem in problems:
                self.stderr.write(f"LEDGER PROBLEM: {problem}")
            raise CommandError(f"audit_ledger: {len(problems)} problem(s) found")
        self.stdout.write(self.style.SUCCESS(
            f"Ledger OK: {JournalEntry.objects.count()} journals balance, {Wallet.objects.count()} wallets match."))
