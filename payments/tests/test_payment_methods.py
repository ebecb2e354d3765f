import pytest

from payments.models import PaymentMethod
from tests.factories import EntrepreneurUserFactory

from .factories import BankMethodFactory

pytestmark = pytest.mark.django_db
URL = "/api/payments/payment-methods/"
BANK = {"account_number": "0123456789", "bank_code": "058", "account_name": "Ada Obi"}


def test_create_bank_method(auth_client):
    user = EntrepreneurUserFactory()
    response = auth_client(user).post(URL, {"method_type": "bank_transfer", "details": {**BANK, "junk": "x"},
                                            "is_default": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["details"] == BANK and body["is_default"] is True and body["is_active"] is True


@pytest.mark.parametrize("details,field", [
    ({**BANK, "account_number": "012345678"}, "account_number"),
    ({**BANK, "account_number": "01234567890"}, "account_number"),
    ({**BANK, "account_number": "01234S6789"}, "account_number"),
    # Arabic-Indic digits: digits to Python's \d, not an account number a Nigerian bank knows
    ({**BANK, "account_number": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"}, "account_number"),
    ({"bank_code": "058", "account_name": "Ada"}, "account_number"),
    ({**BANK, "bank_code": ""}, "bank_code"),
    ({**BANK, "account_name": "  "}, "account_name"),
])
def test_bank_method_validation(auth_client, details, field):
    response = auth_client(EntrepreneurUserFactory()).post(URL, {"method_type": "bank_transfer", "details": details},
                                                           format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]["details"]
    assert not PaymentMethod.objects.exists()


def test_crypto_method_needs_wallet_address_and_type(auth_client):
    client = auth_client(EntrepreneurUserFactory())
    bad = client.post(URL, {"method_type": "crypto", "details": {"wallet_address": "0xabc"}}, format="json")
    assert bad.status_code == 400 and "crypto_type" in bad.json()["details"]["details"]
    good = client.post(URL, {"method_type": "crypto", "details": {"wallet_address": "0xabc", "crypto_type": "USDT"}},
                       format="json")
    assert good.status_code == 201


def test_one_default_setting_a_new_default_unsets_the_old(auth_client):
    user = EntrepreneurUserFactory()
    client = auth_client(user)
    first = client.post(URL, {"method_type": "bank_transfer", "details": BANK, "is_default": True}, format="json").json()
    second = client.post(URL, {"method_type": "bank_transfer", "details": BANK, "is_default": True},
                         format="json").json()
    assert list(PaymentMethod.objects.filter(user=user, is_default=True).values_list("pk", flat=True)) == [second["id"]]
    response = client.patch(f"{URL}{first['id']}/", {"is_default": True}, format="json")
    assert response.status_code == 200
    assert list(PaymentMethod.objects.filter(user=user, is_default=True).values_list("pk", flat=True)) == [first["id"]]


def test_own_only_and_soft_delete(auth_client):
    mine = BankMethodFactory()
    other = BankMethodFactory()
    client = auth_client(mine.user)
    listed = client.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert client.patch(f"{URL}{other.pk}/", {"is_default": True}, format="json").status_code == 404
    assert client.delete(f"{URL}{other.pk}/").status_code == 404
    assert client.delete(f"{URL}{mine.pk}/").status_code == 204
    mine.refresh_from_db()
    assert mine.is_active is False
    assert client.get(URL).json()["count"] == 0


def test_patch_details_revalidates(auth_client):
    mine = BankMethodFactory()
    response = auth_client(mine.user).patch(f"{URL}{mine.pk}/", {"details": {**BANK, "account_number": "123"}},
                                            format="json")
    assert response.status_code == 400
    response = auth_client(mine.user).patch(f"{URL}{mine.pk}/", {"method_type": "crypto"}, format="json")
    assert response.status_code == 400
