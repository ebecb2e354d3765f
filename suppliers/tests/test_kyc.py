"""A verified identity is not swappable (issue 11 item 4): a verified supplier changing its KYC fields goes
back to pending — products out of the catalog — with a log entry, and the admins are notified."""
import pytest

from suppliers.models import SupplierVerificationLog
from suppliers.services import KYC_FIELDS
from tests.factories import AdminFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db

CATALOG = "/api/products/products/"


def detail(pk):
    return f"/api/suppliers/profiles/{pk}/"


def catalog_ids(api_client):
    response = api_client.get(CATALOG)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def supplier():
    return SupplierFactory(verification_status="verified", tax_id="TIN-001",
                           bank_details={"bank": "GTBank", "account_number": "0123456789"})


def test_the_kyc_fields_are_the_verified_identity():
    assert KYC_FIELDS == ("company_name", "business_registration", "tax_id", "address", "bank_details")


@pytest.mark.parametrize(("field", "value"), [
    ("company_name", "Someone Else Ltd"),
    ("tax_id", "TIN-999"),
    ("address", "1 Other Road, Abuja"),
    ("bank_details", {"bank": "Other Bank", "account_number": "9999999999"}),
])
def test_changing_a_kyc_field_puts_the_supplier_back_to_pending(
        auth_client, api_client, supplier, field, value, django_capture_on_commit_callbacks, mailoutbox):
    product = ProductFactory(supplier=supplier)
    admin = AdminFactory(email="ops@payjaro.test")
    assert product.pk in catalog_ids(api_client)  # cached from here on

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(supplier.user).patch(detail(supplier.pk), {field: value}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["verification_status"] == "pending"
    assert response.data["verified_at"] is None
    supplier.refresh_from_db()
    assert getattr(supplier, field) == value
    assert supplier.verification_status == "pending" and supplier.verified_by is None
    # The catalog stops showing its products at once (the cached page is invalidated).
    assert product.pk not in catalog_ids(api_client)
    log = SupplierVerificationLog.objects.get(supplier=supplier)
    assert log.status == "pending" and log.decided_by == supplier.user
    assert log.notes == f"Verified details changed by the supplier ({field}): re-verification needed."
    # The admins are asked to re-verify; the supplier is told why its products are hidden.
    to_admin = [m for m in mailoutbox if m.to == [admin.email]]
    assert len(to_admin) == 1 and supplier.company_name in to_admin[0].subject
    assert field in to_admin[0].body
    assert any(m.to == [supplier.user.email] and "hidden" in m.body for m in mailoutbox)


def test_reverification_brings_the_products_back(auth_client, api_client, supplier):
    product = ProductFactory(supplier=supplier)
    auth_client(supplier.user).patch(detail(supplier.pk), {"tax_id": "TIN-002"}, format="json")
    assert product.pk not in catalog_ids(api_client)
    response = auth_client(AdminFactory()).post(f"{detail(supplier.pk)}verify/", {"status": "verified"},
                                                format="json")
    assert response.status_code == 200
    assert product.pk in catalog_ids(api_client)
    assert list(SupplierVerificationLog.objects.filter(supplier=supplier).values_list("status", flat=True)) == [
        "verified", "pending"]


def test_other_fields_and_unchanged_values_keep_the_verification(auth_client, supplier):
    client = auth_client(supplier.user)
    response = client.patch(detail(supplier.pk), {
        "contact_person": "Bola Ade", "delivery_areas": ["Lagos", "Ogun"], "minimum_order_value": "5000.00",
        "company_name": supplier.company_name, "bank_details": dict(supplier.bank_details),
    }, format="json")
    assert response.status_code == 200, response.data
    supplier.refresh_from_db()
    assert supplier.verification_status == "verified" and supplier.contact_person == "Bola Ade"
    assert not SupplierVerificationLog.objects.exists()


def test_an_admin_correcting_kyc_fields_keeps_the_verification(auth_client, supplier):
    response = auth_client(AdminFactory()).patch(
        detail(supplier.pk), {"company_name": "Corrected Name Ltd", "business_registration": "RC-777"}, format="json")
    assert response.status_code == 200, response.data
    supplier.refresh_from_db()
    assert supplier.company_name == "Corrected Name Ltd" and supplier.business_registration == "RC-777"
    assert supplier.verification_status == "verified"
    assert not SupplierVerificationLog.objects.exists()


def test_a_pending_supplier_edits_freely(auth_client):
    pending = SupplierFactory(verification_status="pending")
    response = auth_client(pending.user).patch(detail(pending.pk), {"company_name": "Fixed Typo Ltd"}, format="json")
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.verification_status == "pending" and not SupplierVerificationLog.objects.exists()
