from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from social.models import StoreProduct
from tests.factories import AdminFactory, EntrepreneurFactory, ProductFactory, StorefrontFactory, StoreProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/admin/social/entrepreneurstorefront/", "/admin/social/storeproduct/", "/admin/entrepreneurs/entrepreneurprofile/"],
)
def test_admin_changelists_render(client, url):
    StoreProductFactory()
    client.force_login(AdminFactory(is_superuser=True))
    assert client.get(url).status_code == 200


def test_admin_change_forms_render(client):
    store_product = StoreProductFactory()
    client.force_login(AdminFactory(is_superuser=True))
    assert client.get(f"/admin/social/storeproduct/{store_product.pk}/change/").status_code == 200
    assert client.get(f"/admin/social/entrepreneurstorefront/{store_product.storefront_id}/change/").status_code == 200
    profile = store_product.storefront.entrepreneur
    assert client.get(f"/admin/entrepreneurs/entrepreneurprofile/{profile.pk}/change/").status_code == 200


def test_model_clean_refuses_price_below_base():
    product = ProductFactory(base_price=Decimal("100.00"))
    store_product = StoreProduct(storefront=StorefrontFactory(entrepreneur=EntrepreneurFactory()), product=product,
                                 selling_price=Decimal("99.99"))
    with pytest.raises(ValidationError) as excinfo:
        store_product.full_clean()
    assert "selling_price" in excinfo.value.message_dict
