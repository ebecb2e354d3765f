import threading

import pytest
from django.db import connection

from core.errors import ApplicationError
from entrepreneurs.models import EntrepreneurProfile
from entrepreneurs.services import entrepreneur_profile_create
from tests.factories import EntrepreneurUserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_case_variants_of_one_custom_url_create_one_profile():
    users = [EntrepreneurUserFactory() for _ in range(4)]
    variants = ["race-shop", "RACE-SHOP", "Race-Shop", "race-SHOP"]
    barrier = threading.Barrier(len(users))
    outcomes = []

    def create(user, custom_url):
        try:
            barrier.wait()
            entrepreneur_profile_create(user=user, business_name="Race", custom_url=custom_url)
            outcomes.append("created")
        except ApplicationError as exc:
            outcomes.append((exc.status_code, exc.details))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=pair) for pair in zip(users, variants, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("created") == 1
    assert [o for o in outcomes if o != "created"] == [(400, {"custom_url": ["This address is already taken."]})] * 3
    assert list(EntrepreneurProfile.objects.values_list("custom_url", flat=True)) == ["race-shop"]
