"""A store's address is matched whatever its case by one probe of the unique index on ``lower(custom_url)``."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entrepreneurs.models import EntrepreneurProfile
from entrepreneurs.selectors import custom_url_matches
from tests.factories import EntrepreneurFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("asked", ["ada-styles", "Ada-Styles", "ADA-STYLES"])
def test_any_case_finds_the_store_and_no_other(asked):
    ada = EntrepreneurFactory(custom_url="ada-styles")
    EntrepreneurFactory(custom_url="ada-styles-2")
    assert list(EntrepreneurProfile.objects.filter(custom_url_matches(asked))) == [ada]
    assert not EntrepreneurProfile.objects.filter(custom_url_matches("ada")).exists()


def test_the_lookup_is_written_as_the_index_reads_it():
    EntrepreneurFactory(custom_url="ada-styles")
    with CaptureQueriesContext(connection) as queries:
        list(EntrepreneurProfile.objects.filter(custom_url_matches("Ada-Styles")))
    sql = queries.captured_queries[0]["sql"].upper()
    assert 'LOWER("ENTREPRENEURS_ENTREPRENEURPROFILE"."CUSTOM_URL")' in sql and "UPPER(" not in sql


@pytest.mark.postgres
def test_the_lookup_is_an_index_probe():
    for n in range(30):
        EntrepreneurFactory(custom_url=f"store-{n}")
    sql, params = EntrepreneurProfile.objects.filter(custom_url_matches("STORE-17")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "entrepreneur_custom_url_ci_unique" in plan, plan
