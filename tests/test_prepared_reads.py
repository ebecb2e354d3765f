"""``core.prepared.PreparedRead`` (issue 17): a read compiled once per connection answers exactly what its
queryset answers, in one query of the same SQL, and refuses what it cannot prepare."""
from datetime import datetime
from decimal import Decimal as D

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from core import prepared as prepared_module
from core.prepared import SHAPE, PreparedRead, PreparedReadError
from entrepreneurs.selectors import custom_url_matches
from social.models import StoreProduct
from tests.factories import CustomerFactory, EntrepreneurFactory, StorefrontFactory, StoreProductFactory
from users.models import User

pytestmark = pytest.mark.django_db


def _listings(custom_url, product_ids):
    return (StoreProduct.objects.select_related("storefront__entrepreneur", "product__supplier")
            .filter(custom_url_matches(custom_url, "storefront__entrepreneur__"), product_id__in=product_ids,
                    storefront__is_published=True).order_by("product_id"))


LISTINGS = PreparedRead(_listings, custom_url=str, product_ids=list)


@pytest.fixture
def store():
    storefront = StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="ada-styles"),
                                   social_links={"instagram": "@ada"})
    listings = [StoreProductFactory(storefront=storefront, selling_price=D("1500.50") + n) for n in range(3)]
    StoreProductFactory()  # another store's
    return storefront, listings


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_models_with_their_related_rows_equal_the_querysets_in_one_query_of_the_same_sql(store):
    storefront, listings = store
    ids = [listing.product_id for listing in listings]
    for args in ({"custom_url": "ADA-styles", "product_ids": ids}, {"custom_url": "ada-styles", "product_ids": ids[:1]},
                 {"custom_url": "ada-styles", "product_ids": [ids[2], ids[0], ids[2]]}):
        with CaptureQueriesContext(connection) as orm:  # the list as the read passes it: deduplicated, sorted
            expected = list(_listings(args["custom_url"], sorted(set(args["product_ids"]))))
        assert [_fields(x) for x in expected] == [_fields(x) for x in _listings(**args)]
        for _ in range(2):  # the first call compiles, the second reuses
            with CaptureQueriesContext(connection) as prepared:
                got = LISTINGS(**dict(args))
            assert [q["sql"] for q in prepared.captured_queries] == [q["sql"] for q in orm.captured_queries]
            assert [_fields(x) for x in got] == [_fields(x) for x in expected] and expected
            with CaptureQueriesContext(connection) as related:
                for mine, theirs in zip(got, expected, strict=True):
                    for path in ("storefront", "storefront.entrepreneur", "product", "product.supplier"):
                        a, b = mine, theirs
                        for part in path.split("."):
                            a, b = getattr(a, part), getattr(b, part)
                        assert _fields(a) == _fields(b)
            assert related.captured_queries == []  # the related rows came with the listings
    assert isinstance(got[0].selling_price, D) and got[0].storefront.social_links == {"instagram": "@ada"}
    assert not got[0]._state.adding and got[0]._state.db == "default"


def test_no_match_and_an_empty_list(store):
    assert LISTINGS(custom_url="nobody", product_ids=[1, 2]) == []
    with CaptureQueriesContext(connection) as context:
        assert LISTINGS(custom_url="ada-styles", product_ids=[]) == []
    assert context.captured_queries == []  # as Django: an empty IN needs no query


def test_values_list_rows():
    users = [User.objects.create(username=f"u{n}", email=f"u{n}@example.com", user_type="customer") for n in range(2)]
    read = PreparedRead(lambda pk: User.objects.filter(pk=pk).values_list("username", "user_type", "date_joined"),
                        pk=int)
    for user in users:
        assert read(pk=user.pk) == list(User.objects.filter(pk=user.pk).values_list("username", "user_type",
                                                                                     "date_joined"))
    assert read(pk=0) == []


@pytest.mark.parametrize("build", [
    lambda name: User.objects.filter(username__contains=name),  # the probe comes out as "%…%"
    lambda name: User.objects.filter(username=name).prefetch_related("groups"),
    lambda name: User.objects.filter(username=name).annotate(n=Count("groups")),
    lambda name: User.objects.filter(username=name).values_list("pk", flat=True),
    lambda name: User.objects.filter(username=name).values("pk"),
    lambda name: User.objects.filter(username=name) | User.objects.filter(email=name),  # used twice
    lambda name: User.objects.all(),  # not used at all
])
def test_what_cannot_be_prepared_is_refused_at_the_first_call(build):
    with pytest.raises(PreparedReadError):
        PreparedRead(build, name=str)(name="ada")


def test_arguments_must_be_the_declared_ones():
    read = PreparedRead(lambda pk: User.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError):
        read(id=1)
    with pytest.raises(PreparedReadError):
        PreparedRead(lambda pk: User.objects.filter(pk=pk), pk=float)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_select_for_update_locks_inside_a_transaction_and_is_refused_outside():
    user = User.objects.create(username="locked", email="locked@example.com", user_type="customer")
    read = PreparedRead(lambda pk: User.objects.select_for_update().filter(pk=pk).values_list("pk"), pk=int)
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        assert read(pk=user.pk) == [(user.pk,)]
    assert context.captured_queries[-1]["sql"].endswith("FOR UPDATE")
    with pytest.raises(TransactionManagementError):  # autocommit here, as Django refuses it
        read(pk=user.pk)


def test_values_are_made_their_declared_kind_as_the_orm_would():
    user = User.objects.create(username="42", email="u42@example.com", user_type="customer")
    by_name = PreparedRead(lambda name: User.objects.filter(username=name).values_list("pk"), name=str)
    assert by_name(name=42) == [(user.pk,)] == list(User.objects.filter(username=42).values_list("pk"))
    by_pk = PreparedRead(lambda pk: User.objects.filter(pk=pk).values_list("username"), pk=int)
    assert by_pk(pk=str(user.pk)) == [("42",)]
    with pytest.raises(ValueError):
        by_pk(pk="not a number")


def _users_page(bottom, top):
    return User.objects.order_by("id").values_list("id", "email")[bottom:top]


USERS_PAGE = PreparedRead(_users_page, bottom=SHAPE, top=SHAPE)


def test_shape_arguments_compile_one_shape_per_value_and_equal_the_queryset():
    for _ in range(5):
        CustomerFactory()
    for bottom, top in ((0, 2), (2, 4), (0, 2), (4, 9), (9, 12)):
        with CaptureQueriesContext(connection) as orm:
            expected = list(_users_page(bottom, top))
        with CaptureQueriesContext(connection) as prepared:
            assert USERS_PAGE(bottom=bottom, top=top) == expected
        assert [q["sql"] for q in prepared.captured_queries] == [q["sql"] for q in orm.captured_queries]  # in the text
    assert len(orm.captured_queries) == 1 and expected == []  # past the end: one query, no rows
    shapes = [key for key in connections["default"].__dict__["_prepared_reads"] if key[0] == USERS_PAGE._key]
    assert sorted(shapes) == sorted({(USERS_PAGE._key, (int, b), (int, t)) for b, t in ((0, 2), (2, 4), (4, 9), (9, 12))})
    with pytest.raises(PreparedReadError, match="no query"):  # an empty slice: Django runs no query; the caller answers
        USERS_PAGE(bottom=3, top=3)
    with pytest.raises(PreparedReadError, match="hashable"):
        USERS_PAGE(bottom=[0], top=2)


def test_a_probe_that_compiles_to_no_query_is_refused():
    """An int probe out of a small integer column's range makes Django compile no query (PostgreSQL's ranges):
    the read is refused instead of answering nothing for every value."""
    from orders.models import CodPhoneCode

    read = PreparedRead(lambda n: CodPhoneCode.objects.filter(attempts=n).values_list("pk"), n=int)
    if connection.vendor != "postgresql":
        assert read(n=1) == []  # SQLite takes any integer: nothing to refuse
        return
    with pytest.raises(PreparedReadError, match="no query"):
        read(n=1)


def test_past_max_shapes_a_read_runs_unprepared(monkeypatch):
    monkeypatch.setattr(prepared_module, "MAX_SHAPES", 2)
    read = PreparedRead(_users_page, bottom=SHAPE, top=SHAPE)
    CustomerFactory()
    for bottom in range(4):
        assert read(bottom=bottom, top=bottom + 1) == list(_users_page(bottom, bottom + 1))
    # the third slice found two compiled: they were forgotten, and the last two are the shapes now
    shapes = {key for key in connections["default"].__dict__["_prepared_reads"] if key[0] == read._key}
    assert shapes == {(read._key, (int, b), (int, b + 1)) for b in (2, 3)}


def _joined_since(moment):
    return User.objects.filter(date_joined__gt=moment).order_by("id").values_list("id")


JOINED_SINCE = PreparedRead(_joined_since, moment=datetime)


def test_datetimes_are_compared_as_the_backend_adapts_them():
    """PostgreSQL takes the aware datetime as it is; SQLite compares text in the connection's time zone: the
    probe is found, and each value put, in the backend's form (offsets other than UTC included)."""
    from datetime import UTC, timedelta

    from django.utils import timezone

    users = [CustomerFactory() for _ in range(3)]
    base = datetime(2026, 12, 3, 10, 0, 0, 500, tzinfo=UTC)
    for n, user in enumerate(users):
        User.objects.filter(pk=user.pk).update(date_joined=base + timedelta(minutes=n))
    for moment in (base - timedelta(seconds=1), base, base + timedelta(minutes=1, microseconds=-1),
                   (base + timedelta(minutes=1)).astimezone(timezone.get_fixed_timezone(60)),
                   base + timedelta(hours=1)):
        with CaptureQueriesContext(connection) as orm:
            expected = list(_joined_since(moment))
        with CaptureQueriesContext(connection) as prepared:
            assert JOINED_SINCE(moment=moment) == expected
        assert [q["sql"] for q in prepared.captured_queries] == [q["sql"] for q in orm.captured_queries]
    assert [len(list(_joined_since(m))) for m in (base - timedelta(seconds=1), base)] == [3, 2]
    with pytest.raises(TypeError, match="aware datetime"):
        JOINED_SINCE(moment=datetime(2026, 12, 3, 10, 0))  # naive
    with pytest.raises(TypeError, match="aware datetime"):
        JOINED_SINCE(moment="2026-12-03")


# --- PreparedUpdate ------------------------------------------------------------------------------------------


def _stock_update(pk, take, at_least, now):
    from django.db.models import F

    from products.models import Product

    return (Product.objects.filter(pk=pk, stock_quantity__gte=at_least),
            {"stock_quantity": F("stock_quantity") - take, "updated_at": now})


def test_an_update_runs_the_sql_of_queryset_update_and_answers_its_row_count():
    from django.utils import timezone

    from products.models import Product
    from tests.factories import ProductFactory

    take = prepared_module.PreparedUpdate(_stock_update, pk=int, take=int, at_least=int, now=datetime)
    product, other = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    now = timezone.now()
    queryset, values = _stock_update(other.pk, 2, 2, now)
    with CaptureQueriesContext(connection) as orm:
        assert queryset.update(**values) == 1
    for expected_rows, left in ((1, 3), (1, 1), (0, 1)):  # the third asks for 2 of the 1 left: nothing changes
        with CaptureQueriesContext(connection) as mine:
            assert take(pk=product.pk, take=2, at_least=2, now=now) == expected_rows
        assert [q["sql"].replace(f'"id" = {product.pk} ', f'"id" = {other.pk} ') for q in mine.captured_queries] == [
            q["sql"] for q in orm.captured_queries]
        product.refresh_from_db()
        assert product.stock_quantity == left
    assert product.updated_at == now
    assert Product.objects.get(pk=other.pk).stock_quantity == 3  # only the row asked for
    assert take(pk=987654, take=1, at_least=1, now=now) == 0


def test_an_update_compiles_once_per_connection():
    from django.utils import timezone

    from tests.factories import ProductFactory

    take = prepared_module.PreparedUpdate(_stock_update, pk=int, take=int, at_least=int, now=datetime)
    product = ProductFactory(stock_quantity=10)
    take(pk=product.pk, take=1, at_least=1, now=timezone.now())
    compiled = connections["default"].__dict__["_prepared_reads"]
    shapes = [key for key in compiled if key[0] == take._key]
    first = compiled[shapes[0]]
    take(pk=product.pk, take=3, at_least=3, now=timezone.now())
    assert len(shapes) == 1 and compiled[shapes[0]] is first
    product.refresh_from_db()
    assert product.stock_quantity == 6


def test_an_update_with_an_empty_list_changes_nothing_like_the_orm():
    bump = prepared_module.PreparedUpdate(lambda ids: (User.objects.filter(pk__in=ids), {"first_name": "x"}), ids=list)
    user = CustomerFactory(first_name="Ada")
    assert bump(ids=[]) == 0
    assert bump(ids=[user.pk, user.pk]) == 1
    user.refresh_from_db()
    assert user.first_name == "x"


@pytest.mark.parametrize("build", [
    lambda name: (User.objects.filter(referred_by__username=name), {"first_name": "x"}),  # a join
    lambda name: (User.objects.filter(username=name), {"first_name": name, "last_name": name}),  # used twice
    lambda name: (User.objects.filter(username=name)[:1], {"first_name": "x"}),  # sliced
    lambda name: (User.objects.filter(username=name).annotate(n=Count("groups")), {"first_name": "x"}),
])
def test_what_cannot_be_prepared_as_an_update_is_refused(build):
    with pytest.raises(PreparedReadError):
        prepared_module.PreparedUpdate(build, name=str)(name="ada")


def test_an_amount_is_a_decimal_never_a_float():
    from decimal import Decimal

    from django.db.models import F

    from payments.models import Wallet

    add = prepared_module.PreparedUpdate(
        lambda pk, delta: (Wallet.objects.filter(pk=pk), {"balance": F("balance") + delta}), pk=int, delta=Decimal)
    with pytest.raises(TypeError, match="not a float"):
        add(pk=1, delta=0.1)
    wallet = Wallet.objects.create(user=CustomerFactory(), kind="entrepreneur")
    assert add(pk=wallet.pk, delta="0.10") == 1 and add(pk=wallet.pk, delta=Decimal("2.05")) == 1
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("2.15")
