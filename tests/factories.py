"""Shared factory-boy factories for every app's tests (outside the apps: a test builds whole scenarios across layers)."""
from decimal import Decimal

import factory
from django.utils.text import slugify

from entrepreneurs.models import EntrepreneurProfile
from products.models import Category, Product, ProductVariation
from social.models import EntrepreneurStorefront, StoreProduct
from suppliers.models import SupplierProfile
from users.models import User

DEFAULT_PASSWORD = "Sup3r-Secret-pass!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    phone_number = factory.Sequence(lambda n: f"+23480{n:08d}")
    user_type = User.UserType.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(UserFactory):
    user_type = User.UserType.CUSTOMER


class AdminFactory(UserFactory):
    user_type = User.UserType.ADMIN
    is_staff = True


class EntrepreneurUserFactory(UserFactory):
    user_type = User.UserType.ENTREPRENEUR


class SupplierUserFactory(UserFactory):
    user_type = User.UserType.SUPPLIER


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierProfile

    user = factory.SubFactory(SupplierUserFactory)
    company_name = factory.Sequence(lambda n: f"Supplier {n} Ltd")
    business_registration = factory.Sequence(lambda n: f"RC{100000 + n}")
    address = "12 Broad Street, Lagos Island, Lagos"
    contact_person = "Ada Obi"
    phone_number = factory.LazyAttribute(lambda o: o.user.phone_number)
    email = factory.LazyAttribute(lambda o: o.user.email)
    verification_status = SupplierProfile.VerificationStatus.VERIFIED
    commission_rate = Decimal("10.00")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    description = "A fine product."
    base_price = Decimal("1000.00")
    suggested_markup = Decimal("20.00")
    stock_quantity = 100


class VariationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVariation

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Size {n}")
    sku = factory.Sequence(lambda n: f"VAR-{n:06d}")
    attributes = factory.LazyFunction(lambda: {"size": "M"})
    price_modifier = Decimal("0.00")
    stock_quantity = 50


class EntrepreneurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntrepreneurProfile

    user = factory.SubFactory(EntrepreneurUserFactory)
    business_name = factory.Sequence(lambda n: f"Shop {n}")
    custom_url = factory.Sequence(lambda n: f"shop-{n}")
    commission_rate = Decimal("5.00")


class StorefrontFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntrepreneurStorefront

    entrepreneur = factory.SubFactory(EntrepreneurFactory)
    is_published = True
    seo_title = "My shop"


class StoreProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreProduct

    storefront = factory.SubFactory(StorefrontFactory)
    product = factory.SubFactory(ProductFactory)
    selling_price = factory.LazyAttribute(lambda o: o.product.base_price * Decimal("1.2"))
