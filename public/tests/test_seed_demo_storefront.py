import io

import pytest
from django.core.management import call_command

from entrepreneurs.models import EntrepreneurProfile

pytestmark = pytest.mark.django_db


def test_demo_store_is_served_publicly(api_client):
    call_command("seed_demo", stdout=io.StringIO())
    profile = EntrepreneurProfile.objects.select_related("storefront").get(user__username="ada")
    listings = profile.storefront.store_products.filter(is_active=True, product__is_active=True)

    response = api_client.get(f"/{profile.custom_url}/")
    assert response.status_code == 200
    body = response.json()
    assert body["entrepreneur"]["custom_url"] == profile.custom_url
    assert body["all_products"]["count"] == listings.count() > 0
    first = body["all_products"]["results"][0]
    assert api_client.get(f"/{profile.custom_url}/product/{first['slug']}/").status_code == 200
    assert api_client.get(f"/{profile.custom_url}/share/?product_id={first['id']}").status_code == 200
    assert api_client.get(f"/{profile.custom_url}/qr.svg").status_code == 200
