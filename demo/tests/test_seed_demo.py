"""``manage.py seed_demo``: the demo data behind ``make run``; idempotent."""
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from entrepreneurs.models import EntrepreneurProfile
from payments.models import Wallet
from products.models import Category, Product, ProductVariation
from social.models import EntrepreneurStorefront, StoreProduct
from suppliers.models import SupplierProfile
from users.models import User

pytestmark = pytest.mark.django_db

MODELS = (User, SupplierProfile, Category, Product, ProductVariation, EntrepreneurProfile, EntrepreneurStorefront,
          StoreProduct, Wallet)


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_creates_the_demo_world():
    output = seed()

    admin = User.objects.get(username="admin")
    assert admin.user_type == "admin" and admin.is_staff and admin.is_superuser

    supplier = SupplierProfile.objects.get(user__username="lagostrade")
    assert supplier.user.user_type == "supplier"
    assert supplier.verification_status == "verified" and supplier.is_active

    fashion = Category.objects.get(slug="fashion")
    assert fashion.parent is None
    assert {c.slug for c in fashion.children.all()} >= {"shoes", "bags"}
    assert Category.objects.get(slug="phones").parent.slug == "electronics"
    assert Category.objects.filter(slug="beauty", parent=None).exists()

    products = Product.objects.filter(supplier=supplier)
    assert 18 <= products.count() <= 25
    assert all(p.base_price > 0 and p.is_active for p in products)
    assert ProductVariation.objects.filter(product__supplier=supplier).values("product").distinct().count() >= 3
    # one product is sold out on purpose (the catalog's in-stock filter has something to hide)
    assert list(products.filter(stock_quantity=0).values_list("sku", flat=True)) == ["LTH-ACC-003"]

    entrepreneur = EntrepreneurProfile.objects.get(user__username="ada")
    assert entrepreneur.user.user_type == "entrepreneur"
    assert entrepreneur.custom_url == "ada-styles"
    storefront = entrepreneur.storefront
    assert storefront.is_published
    listings = StoreProduct.objects.filter(storefront=storefront).select_related("product")
    assert listings.count() == 12  # 10 of Lagos Trade Hub, 2 of Kano Naturals
    assert listings.values("product__supplier").distinct().count() == 2
    assert listings.filter(is_featured=True).count() == 3
    for listing in listings:
        assert listing.is_active
        assert listing.selling_price >= listing.product.base_price
        assert listing.selling_price == listing.selling_price.quantize(Decimal("0.01"))
    dress = listings.get(product__sku="LTH-CLO-001")
    assert dress.selling_price == Decimal("16300.00")  # ₦12,500 + 30 % = ₦16,250, rounded up to ₦100

    assert User.objects.get(username="chidi").user_type == "customer"

    assert "http://testserver/ada-styles/" in output  # PUBLIC_BASE_URL in test settings
    for login in ("admin / Payjaro-Admin-2026", "lagostrade / Payjaro-Demo-2026", "ada / Payjaro-Demo-2026",
                  "chidi / Payjaro-Demo-2026"):
        assert login in output


def test_seed_demo_twice_changes_nothing():
    seed()
    first = counts()
    prices = dict(StoreProduct.objects.values_list("product__sku", "selling_price"))
    seed()
    assert counts() == first
    assert dict(StoreProduct.objects.values_list("product__sku", "selling_price")) == prices


def test_seed_demo_keeps_demo_changes_but_resets_passwords():
    seed("--no-pictures")
    product = Product.objects.get(sku="LTH-BTY-001")
    Product.objects.filter(pk=product.pk).update(stock_quantity=3)
    ada = User.objects.get(username="ada")
    ada.set_password("changed-it-1234")
    ada.save()

    seed("--no-pictures")

    assert Product.objects.get(pk=product.pk).stock_quantity == 3
    assert User.objects.get(username="ada").check_password("Payjaro-Demo-2026")


@pytest.mark.parametrize(
    "username,password,user_type",
    [
        ("admin", "Payjaro-Admin-2026", "admin"),
        ("lagostrade", "Payjaro-Demo-2026", "supplier"),
        ("ada@adastyles.ng", "Payjaro-Demo-2026", "entrepreneur"),
        ("chidi", "Payjaro-Demo-2026", "customer"),
    ],
)
def test_printed_logins_work(api_client, username, password, user_type):
    seed("--no-pictures")
    response = api_client.post("/api/users/login/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["user_type"] == user_type


def test_seed_demo_refuses_production(settings):
    settings.DJANGO_ENVIRONMENT = "production"
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_demo_storefront_is_served(client):
    """After ``seed_demo`` the printed storefront URL answers with the store's products (public app)."""
    seed()
    response = client.get("/ada-styles/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["entrepreneur"]["custom_url"] == "ada-styles"
    all_products = body["all_products"]
    if isinstance(all_products, dict):  # paginated
        all_products = all_products["results"]
    assert len(all_products) == 12
    assert len(body["featured_products"]) == 3
    dress = next(item for item in all_products if item["name"] == "Ankara Wrap Dress")
    assert dress.get("selling_price", dress.get("price")) == "16300.00"  # the entrepreneur's price, not base


def test_seed_demo_pictures_products_and_the_banner_through_the_image_pipeline():
    from django.core.files.storage import default_storage
    from PIL import Image

    from core.thumbnails import derivative_name
    from products.models import ProductImage

    seed()
    products = Product.objects.filter(sku__startswith="LTH-")
    images = ProductImage.objects.filter(product__in=products)
    assert images.count() == products.count() and images.filter(is_primary=True).count() == products.count()
    banner = EntrepreneurProfile.objects.get(custom_url="ada-styles").banner_image.name
    assert banner
    for name in [*images.values_list("image", flat=True), banner]:
        assert default_storage.exists(name), name
        for suffix in ("w320", "w640", "og"):
            assert default_storage.exists(derivative_name(name, suffix)), (name, suffix)
    with default_storage.open(banner) as handle:
        assert Image.open(handle).size == (1200, 400)
    og = derivative_name(images.first().image.name, "og")
    assert default_storage.size(og) < 300 * 1024
    with default_storage.open(og) as handle:
        assert Image.open(handle).size == (1200, 630)

    names = set(images.values_list("image", flat=True))
    seed()  # idempotent: no second picture, the banner kept
    assert set(ProductImage.objects.filter(product__in=products).values_list("image", flat=True)) == names
    assert EntrepreneurProfile.objects.get(custom_url="ada-styles").banner_image.name == banner


def test_demo_storefront_previews_use_the_pictures(client):
    seed()
    html = client.get("/ada-styles/", HTTP_ACCEPT="text/html").content.decode()
    assert '<meta property="og:image" content="http://testserver/media/entrepreneurs/' in html  # the banner
    assert ".w320.jpg 320w" in html  # product cards with thumbnails
    product = client.get("/ada-styles/product/ankara-wrap-dress/", HTTP_ACCEPT="text/html").content.decode()
    assert '<meta property="og:image" content="http://testserver/media/products/' in product
