from django.core.management.base import BaseCommand, CommandError

from payments.ledger import ledger_audit, share_mismatches
from payments.models import JournalEntry, Wallet


class Command(BaseCommand):
    help = ("Check that every ledger journal balances, every sold order's entrepreneur + supplier + platform shares "
            "sum to its total (Σ shares = Σ paid order totals), and every wallet — entrepreneurs' and suppliers' — "
            "equals the sums of its ledger entries. Exits non-zero on any problem.")

    def handle(self, *args, **options):
        problems = ledger_audit()
        if problems:
            for problem in problems:
                self.stderr.write(f"LEDGER PROBLEM: {problem}")
            raise CommandError(f"audit_ledger: {len(problems)} problem(s) found")
        figures = share_mismatches()[1]
        wallets = Wallet.objects.filter(kind=Wallet.Kind.SUPPLIER).count(), Wallet.objects.count()
        self.stdout.write(self.style.SUCCESS(
            f"Ledger OK: {JournalEntry.objects.count()} journals balance, {wallets[1]} wallets match "
            f"({wallets[0]} of suppliers); Σ shares = Σ paid order totals = {figures['totals']} "
            f"over {figures['orders']} order(s)."))
