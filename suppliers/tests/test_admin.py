"""Django admin: verifying or rejecting suppliers asks for a reason on the action's own page, then goes
through ``suppliers.services.supplier_verify`` (the API's ``verify/`` service): the reason is stored in the
verification log and sent to the supplier by the notification path."""
import pytest
from django.core import mail

from suppliers.models import SupplierProfile, SupplierVerificationLog
from tests.factories import AdminFactory, SupplierFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/suppliers/supplierprofile/"


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(is_superuser=True, is_staff=True))
    return client


def test_reject_asks_for_a_reason_then_stores_it_and_sends_it(admin_client, django_capture_on_commit_callbacks):
    supplier = SupplierFactory(verification_status="pending", company_name="Aba Leather Works")
    other = SupplierFactory(verification_status="pending")
    page = admin_client.post(CHANGELIST, {"action": "reject_suppliers", "_selected_action": [supplier.pk]})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Aba Leather Works" in html and 'name="reason"' in html and other.company_name not in html
    supplier.refresh_from_db()
    assert supplier.verification_status == "pending"  # nothing decided yet

    # Without a reason the page comes back with an error and nothing changes.
    again = admin_client.post(CHANGELIST, {"action": "reject_suppliers", "_selected_action": [supplier.pk],
                                           "apply": "1", "reason": "  "})
    assert again.status_code == 200 and "This field is required" in again.content.decode()
    assert not SupplierVerificationLog.objects.exists()

    reason = "The CAC certificate does not match the company name."
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(CHANGELIST, {"action": "reject_suppliers", "_selected_action": [supplier.pk],
                                              "apply": "1", "reason": reason})
    assert done.status_code == 302
    supplier.refresh_from_db()
    other.refresh_from_db()
    assert (supplier.verification_status, supplier.verification_notes) == ("rejected", reason)
    assert other.verification_status == "pending"
    log = SupplierVerificationLog.objects.get()
    assert (log.supplier, log.status, log.notes, log.decided_by.is_superuser) == (supplier, "rejected", reason, True)
    assert [m.to for m in mail.outbox] == [[supplier.user.email]]
    assert reason in mail.outbox[0].body and "could not verify Aba Leather Works" in mail.outbox[0].body


def test_verify_takes_an_optional_note_and_sends_it(admin_client, django_capture_on_commit_callbacks):
    supplier = SupplierFactory(verification_status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, {"action": "verify_suppliers", "_selected_action": [supplier.pk],
                                                  "apply": "1", "reason": "Welcome aboard"})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.verification_status == SupplierProfile.VerificationStatus.VERIFIED
    assert supplier.verified_at is not None
    assert SupplierVerificationLog.objects.get(supplier=supplier).notes == "Welcome aboard"
    assert len(mail.outbox) == 1 and "Notes from our team: Welcome aboard" in mail.outbox[0].body
