"""Seed the Oscar shop with the same catalogue bench/run.py gives Payjaro (names, prices, stock, one image each).

Run inside the Oscar virtualenv with DJANGO_SETTINGS_MODULE=settings:  python seed.py <products> <seed>
Prints one JSON line: {"products": [ids...]} (the always-in-stock ones first, as in bench/run.py).
"""
import json
import random
import re
import sys
import time
from decimal import Decimal

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductImage = get_model("catalogue", "ProductImage")
Category = get_model("catalogue", "Category")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
Country = get_model("address", "Country")

# The same word lists and draw order as bench/run.py's seed(), so both shops hold the same 20,000 products.
sys.path.insert(0, __file__.rsplit("/", 2)[0])
from run import CATEGORIES, WORDS_ADJ, WORDS_NOUN  # noqa: E402


def main() -> None:
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    started = time.monotonic()
    with transaction.atomic():
        Country.objects.update_or_create(iso_3166_1_a2="NG", defaults={
            "iso_3166_1_a3": "NGA", "iso_3166_1_numeric": "566", "printable_name": "Nigeria", "name": "Nigeria",
            "is_shipping_country": True})
        product_class, _ = ProductClass.objects.get_or_create(name="Goods", defaults={"track_stock": True,
                                                                                      "requires_shipping": True})
        partners = [Partner.objects.create(name=f"Bench Supplier {i} Ltd") for i in range(200)]
        roots = [Category.add_root(name=name, slug=re.sub(r"[^a-z]+", "-", name.lower())) for name in CATEGORIES]
        categories = roots + [root.add_child(name=f"{root.name} {n}", slug=f"{root.slug}-{n}")
                              for root in roots for n in range(1, 5)]
        products, stock, picks = [], [], []
        for i in range(count):
            name = f"{rng.choice(WORDS_ADJ)} {rng.choice(WORDS_NOUN)} {i}"
            base = Decimal(rng.randrange(500, 150_000, 50))
            category = rng.choice(categories)
            quantity = rng.randrange(0, 500)
            products.append(Product(
                structure="standalone", product_class=product_class, title=name, upc=f"BN-{i:07d}",
                slug=re.sub(r"[^a-z0-9]+", "-", name.lower()), is_public=True,
                description=f"{name}: quality goods delivered anywhere in Nigeria. Pay on Payjaro with Paystack.",
            ))
            picks.append((base, quantity if i >= 200 else 10_000_000, category, partners[i % len(partners)]))
        products = Product.objects.bulk_create(products, batch_size=2000)
        for product, (base, quantity, _category, partner) in zip(products, picks, strict=True):
            stock.append(StockRecord(product=product, partner=partner, partner_sku=product.upc, price=base,
                                     price_currency="NGN", num_in_stock=quantity))
        StockRecord.objects.bulk_create(stock, batch_size=2000)
        ProductCategory.objects.bulk_create([ProductCategory(product=p, category=c)
                                             for p, (_, _, c, _) in zip(products, picks, strict=True)], batch_size=2000)
        ProductImage.objects.bulk_create([ProductImage(product=p, original=f"images/products/{p.pk}/main.jpg",
                                                       caption=p.title, display_order=0) for p in products],
                                         batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"[oscar seed] {count} products in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(json.dumps({"products": [p.pk for p in products]}))


if __name__ == "__main__":
    main()
