"""The README's "Buy something with curl" (docs/walkthrough.sh) runs as written against a live server
with the demo data: the same file the README shows, so the README cannot rot (issue 16)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from orders.models import Order

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "walkthrough.sh"

pytestmark = pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")


def test_the_readme_includes_the_walkthrough():
    readme = (SCRIPT.parent.parent / "README.md").read_text()
    assert "docs/walkthrough.sh" in readme
    # every command of the file appears in the README's copy of it
    assert SCRIPT.read_text().split("set -euo pipefail\n", 1)[1].strip() in readme


@pytest.mark.django_db(transaction=True)
def test_buy_something_with_curl(live_server):
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    result = subprocess.run(["bash", str(SCRIPT)], env={**os.environ, "BASE": live_server.url},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Adire Tie-Dye Kaftan" in out and "Kano Henna Powder 200g" in out
    assert re.search(r"CHK\d{8}[0-9A-F]{8} pending total \d+\.\d\d in 2 parcels", out)
    assert re.search(r"CHK\d{8}[0-9A-F]{8} paid \[\('PAY", out)
    assert "Order status updated to processing" in out and "Order status updated to shipped" in out
    assert '"pending_earnings"' in out and '"total_sales"' in out
    shipped = Order.objects.get(tracking_number="GIG-20261202-001")
    assert shipped.status == "shipped" and shipped.payment_status == "paid"
    assert shipped.supplier.company_name == "Lagos Trade Hub Ltd"
    assert Order.objects.filter(checkout=shipped.checkout, status="paid").count() == 1  # the Kano parcel
