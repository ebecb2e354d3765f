import pytest
import responses

from tests.factories import AdminFactory

from .factories import place_order


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def order(db):
    return place_order()


@pytest.fixture
def admin_user(db):
    return AdminFactory()
