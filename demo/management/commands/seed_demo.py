"""Demo data for the embedded default: an admin, a verified supplier with a catalog, an entrepreneur's
published storefront and a customer. Idempotent: every row is found by its natural key (username, sku,
slug, storefront+product), so running it again changes nothing except resetting the demo passwords.

Products get a picture and the store a banner, drawn locally (``demo.pictures``) and stored through the
upload services, with their thumbnails and link-preview JPEG; a product that has a picture keeps it.
"""
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from core.money import quantize
from core.thumbnails import make_derivatives
from demo.pictures import banner_picture, product_picture
from entrepreneurs.models import EntrepreneurProfile
from entrepreneurs.services import entrepreneur_image_set
from payments.models import Wallet
from products.models import Category, Product, ProductImage, ProductVariation
from products.services import product_image_add
from social.models import EntrepreneurStorefront, StoreProduct
from suppliers.models import SupplierProfile
from users.models import User

ADMIN_PASSWORD = "Payjaro-Admin-2026"
DEMO_PASSWORD = "Payjaro-Demo-2026"
STORE_URL = "ada-styles"


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    phone: str | None
    user_type: str
    first_name: str
    last_name: str
    password: str = DEMO_PASSWORD


ADMIN = DemoUser("admin", "admin@payjaro.ng", None, User.UserType.ADMIN, "Payjaro", "Admin", ADMIN_PASSWORD)
SUPPLIER = DemoUser("lagostrade", "sales@lagostradehub.ng", "+2348030000101", User.UserType.SUPPLIER, "Emeka", "Nwosu")
ENTREPRENEUR = DemoUser("ada", "ada@adastyles.ng", "+2348030000102", User.UserType.ENTREPRENEUR, "Ada", "Okafor")
# A second, smaller supplier: a cart from both is one checkout with two parcels (README walkthrough).
SECOND_SUPPLIER = DemoUser("kanonaturals", "orders@kanonaturals.ng", "+2348030000104", User.UserType.SUPPLIER,
                           "Aisha", "Bello")
CUSTOMER = DemoUser("chidi", "chidi@example.ng", "+2348030000103", User.UserType.CUSTOMER, "Chidi", "Eze")

# slug → (name, parent slug)
CATEGORIES = {
    "fashion": ("Fashion", None),
    "clothing": ("Clothing", "fashion"),
    "shoes": ("Shoes", "fashion"),
    "bags": ("Bags", "fashion"),
    "electronics": ("Electronics", None),
    "phones": ("Phones", "electronics"),
    "accessories": ("Phone Accessories", "electronics"),
    "beauty": ("Beauty", None),
}


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    base_price: str
    stock: int
    description: str
    markup: str = "20.00"
    weight: str | None = None
    # (name, attributes, price_modifier, stock)
    variations: tuple = field(default_factory=tuple)


def sizes(prefix: str, labels, stock: int, dearer_from: str | None = None, extra: str = "0.00"):
    out, dearer = [], False
    for label in labels:
        dearer = dearer or label == dearer_from
        out.append((f"{prefix}-{label}", f"Size {label}", {"size": label}, extra if dearer else "0.00", stock))
    return tuple(out)


PRODUCTS = (
    DemoProduct("LTH-CLO-001", "Ankara Wrap Dress", "clothing", "12500.00", 0,
                "Knee-length wrap dress in bold Vlisco-style Ankara print, fully lined.", "30.00", "0.45",
                sizes("LTH-CLO-001", ["S", "M", "L", "XL"], 8, "XL", "1000.00")),
    DemoProduct("LTH-CLO-002", "Aso Oke Agbada Set", "clothing", "45000.00", 6,
                "Three-piece hand-woven aso oke agbada with matching fila, made in Iseyin.", "25.00", "1.80"),
    DemoProduct("LTH-CLO-003", "Adire Tie-Dye Kaftan", "clothing", "15000.00", 20,
                "Indigo adire kaftan from Abeokuta, hand-dyed cotton, one size fits most.", "30.00", "0.40"),
    DemoProduct("LTH-CLO-004", "Senator Native Wear", "clothing", "28000.00", 0,
                "Tailored two-piece senator outfit in cashmere blend with embroidered neckline.", "20.00", "0.90",
                sizes("LTH-CLO-004", ["M", "L", "XL", "XXL"], 5, "XXL", "2000.00")),
    DemoProduct("LTH-SHO-001", "Handmade Leather Palm Slippers", "shoes", "8500.00", 0,
                "Aba-made genuine leather palm slippers with cushioned sole.", "35.00", "0.60",
                sizes("LTH-SHO-001", ["40", "41", "42", "43", "44"], 10)),
    DemoProduct("LTH-SHO-002", "Men's Leather Loafers", "shoes", "22000.00", 12,
                "Brown suede loafers, hand-stitched in Aba.", "25.00", "0.90"),
    DemoProduct("LTH-SHO-003", "Women's Block Heel Sandals", "shoes", "14000.00", 15,
                "Comfortable 5 cm block heels with ankle strap.", "25.00", "0.50"),
    DemoProduct("LTH-BAG-001", "Beaded Ankara Handbag", "bags", "9500.00", 25,
                "Structured handbag in Ankara fabric with hand-sewn bead trim.", "30.00", "0.35"),
    DemoProduct("LTH-BAG-002", "Leather Crossbody Bag", "bags", "18000.00", 10,
                "Tan leather crossbody bag with adjustable strap and two compartments.", "25.00", "0.60"),
    DemoProduct("LTH-BAG-003", "Aso Oke Clutch Purse", "bags", "7500.00", 30,
                "Evening clutch in hand-woven aso oke, ideal for owambe.", "30.00", "0.20"),
    DemoProduct("LTH-PHN-001", "Tecno Spark 20", "phones", "135000.00", 0,
                "6.6\" display, 128 GB storage, 8 GB RAM, 5000 mAh battery. One-year warranty.", "10.00", "0.19",
                (("LTH-PHN-001-BLK", "Gravity Black", {"colour": "black"}, "0.00", 6),
                 ("LTH-PHN-001-GLD", "Neon Gold", {"colour": "gold"}, "0.00", 4),
                 ("LTH-PHN-001-256", "Cyber White 256 GB", {"colour": "white", "storage": "256GB"}, "15000.00", 3))),
    DemoProduct("LTH-PHN-002", "Infinix Hot 40i", "phones", "125000.00", 9,
                "6.56\" display, 128 GB storage, 5000 mAh battery, 18 W fast charging.", "10.00", "0.19"),
    DemoProduct("LTH-PHN-003", "itel A70", "phones", "78000.00", 14,
                "Budget smartphone, 64 GB storage, dual SIM.", "12.00", "0.18"),
    DemoProduct("LTH-PHN-004", "Samsung Galaxy A15", "phones", "185000.00", 5,
                "6.5\" Super AMOLED, 128 GB storage, 50 MP camera.", "8.00", "0.20"),
    DemoProduct("LTH-ACC-001", "Oraimo 20000mAh Power Bank", "accessories", "18500.00", 40,
                "Two USB outputs and USB-C, fast charging — survives NEPA outages.", "20.00", "0.40"),
    DemoProduct("LTH-ACC-002", "Oraimo FreePods 4", "accessories", "24000.00", 18,
                "True wireless earbuds with noise cancellation, 35 h playtime.", "20.00", "0.10"),
    DemoProduct("LTH-ACC-003", "USB-C Fast Charger 25W", "accessories", "6500.00", 0,
                "25 W wall charger with USB-C cable.", "30.00", "0.12"),
    DemoProduct("LTH-BTY-001", "Shea Butter Body Cream 500ml", "beauty", "4500.00", 60,
                "Unrefined shea butter from Kwara, whipped with coconut oil.", "40.00", "0.55"),
    DemoProduct("LTH-BTY-002", "African Black Soap Bar Set", "beauty", "3500.00", 80,
                "Three bars of ose dudu, handmade in Ogun State.", "40.00", "0.45"),
    DemoProduct("LTH-BTY-003", "Zaron Matte Lipstick", "beauty", "5500.00", 35,
                "Long-wear matte lipstick; shade: Berry Bliss.", "30.00", "0.05"),
    DemoProduct("LTH-BTY-004", "Chebe Hair Growth Oil", "beauty", "6000.00", 45,
                "Chebe powder infused oil for length retention, 100 ml.", "35.00", "0.15"),
)

SECOND_SUPPLIER_PRODUCTS = (
    DemoProduct("KNN-BTY-001", "Kano Henna Powder 200g", "beauty", "2500.00", 50,
                "Pure lalle (henna) leaf powder from Kano, sifted for smooth paste.", "40.00", "0.25"),
    DemoProduct("KNN-BTY-002", "Kano Kohl Eyeliner (Tozali)", "beauty", "1800.00", 70,
                "Traditional tozali kohl in a carved wooden case.", "50.00", "0.05"),
)

# sku → (featured, position); the entrepreneur's selling price is base × (1 + markup/100), rounded up to ₦100.
STORE_SELECTION = {
    "LTH-CLO-001": (True, 1),
    "LTH-SHO-001": (True, 2),
    "LTH-PHN-001": (True, 3),
    "LTH-CLO-003": (False, 4),
    "LTH-CLO-002": (False, 5),
    "LTH-BAG-001": (False, 6),
    "LTH-BAG-002": (False, 7),
    "LTH-ACC-001": (False, 8),
    "LTH-BTY-001": (False, 9),
    "LTH-BTY-002": (False, 10),
    "KNN-BTY-001": (False, 11),
    "KNN-BTY-002": (False, 12),
}


def selling_price_for(product: Product) -> Decimal:
    """The suggested price, rounded up to a whole ₦100 the way Lagos shops price things."""
    suggested = quantize(product.base_price * (1 + product.suggested_markup / Decimal("100")))
    hundreds = (suggested / 100).to_integral_value(rounding=ROUND_CEILING)
    return max(quantize(hundreds * 100), product.base_price)


class Command(BaseCommand):
    help = "Load demo data (admin, supplier + catalog, entrepreneur storefront, customer). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true",
            help="Run even with DJANGO_ENVIRONMENT=production (demo accounts have public passwords).",
        )
        parser.add_argument("--no-pictures", action="store_true",
                            help="Skip drawing product pictures and the banner (faster; pages show no images).")

    def handle(self, *args, **options):
        if settings.DJANGO_ENVIRONMENT == "production" and not options["allow_production"]:
            raise CommandError("Refusing to load demo accounts with known passwords in production "
                               "(pass --allow-production to insist).")
        self.with_pictures = not options["no_pictures"]
        with transaction.atomic():
            self.seed()
        # Thumbnails and preview JPEGs now (the upload's background task does the same; without a worker
        # running — REDIS_URL set, no Celery — the demo pages would otherwise show the originals).
        for name in self.picture_names() if self.with_pictures else []:
            make_derivatives(name)
        self.report()

    # --- building blocks ------------------------------------------------------------------------------

    def upsert_user(self, demo: DemoUser) -> User:
        user = User.objects.filter(username__iexact=demo.username).first()
        if user is None:
            user = User(username=demo.username)
        user.email = demo.email
        user.user_type = demo.user_type
        user.first_name = demo.first_name
        user.last_name = demo.last_name
        user.is_active = True
        if demo.phone and not User.objects.filter(phone_number=demo.phone).exclude(pk=user.pk).exists():
            user.phone_number = demo.phone
        if demo.user_type == User.UserType.ADMIN:
            user.is_staff = True
            user.is_superuser = True
        user.set_password(demo.password)  # reset each run, so the printed logins always work
        user.save()
        return user

    def seed(self):
        self.upsert_user(ADMIN)
        supplier_user = self.upsert_user(SUPPLIER)
        entrepreneur_user = self.upsert_user(ENTREPRENEUR)
        self.upsert_user(CUSTOMER)

        supplier, _ = SupplierProfile.objects.get_or_create(
            user=supplier_user,
            defaults={
                "company_name": "Lagos Trade Hub Ltd",
                "business_registration": "RC1784523",
                "tax_id": "TIN-20931844-0001",
                "address": "14 Adeola Odeku Street, Victoria Island, Lagos",
                "contact_person": "Emeka Nwosu",
                "phone_number": SUPPLIER.phone,
                "email": SUPPLIER.email,
                "bank_details": {"bank_name": "GTBank", "bank_code": "058", "account_number": "0123456789",
                                 "account_name": "Lagos Trade Hub Ltd"},
                "commission_rate": Decimal("10.00"),
                "delivery_areas": ["Lagos", "Ogun", "Oyo", "Abuja FCT", "Rivers"],
                "business_hours": {"mon-fri": "08:00-18:00", "sat": "09:00-15:00"},
                "performance_rating": Decimal("4.60"),
            },
        )
        if supplier.verification_status != SupplierProfile.VerificationStatus.VERIFIED or not supplier.is_active:
            supplier.verification_status = SupplierProfile.VerificationStatus.VERIFIED
            supplier.is_active = True
            supplier.save(update_fields=["verification_status", "is_active", "updated_at"])

        categories = {}
        for slug, (name, parent_slug) in CATEGORIES.items():  # parents come first in the dict
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "parent": categories.get(parent_slug)}
            )

        products = {}
        for demo in PRODUCTS:
            products[demo.sku] = self.upsert_product(demo, supplier, categories[demo.category])
        second_supplier = self.upsert_second_supplier()
        for demo in SECOND_SUPPLIER_PRODUCTS:
            products[demo.sku] = self.upsert_product(demo, second_supplier, categories[demo.category])

        entrepreneur, _ = EntrepreneurProfile.objects.get_or_create(
            user=entrepreneur_user,
            defaults={
                "business_name": "Ada Styles",
                "custom_url": STORE_URL,
                "bio": "Lagos fashion, gadgets and beauty — delivered anywhere in Nigeria. Order on WhatsApp!",
                "commission_rate": Decimal("5.00"),
            },
        )
        self.store_url = entrepreneur.custom_url
        Wallet.objects.get_or_create(user=entrepreneur_user)

        storefront, _ = EntrepreneurStorefront.objects.get_or_create(
            entrepreneur=entrepreneur,
            defaults={
                "theme": "default",
                "about_section": "Ada Styles curates the best of Aba leather, Ankara prints and affordable phones.",
                "contact_info": {"whatsapp": ENTREPRENEUR.phone, "email": ENTREPRENEUR.email,
                                 "city": "Lekki, Lagos"},
                "social_links": {"instagram": "https://instagram.com/adastyles.ng",
                                 "facebook": "https://facebook.com/adastyles.ng", "x": "https://x.com/adastyles_ng"},
                "seo_title": "Ada Styles — Ankara, Aba leather & phones in Lagos",
                "seo_description": "Shop Ankara dresses, handmade palm slippers, Tecno phones and shea butter "
                                   "from Ada Styles. Pay securely with Paystack or Flutterwave.",
            },
        )
        if not storefront.is_published:
            storefront.is_published = True
            storefront.save(update_fields=["is_published", "updated_at"])

        for sku, (featured, position) in STORE_SELECTION.items():
            product = products[sku]
            StoreProduct.objects.get_or_create(
                storefront=storefront, product=product,
                defaults={"selling_price": selling_price_for(product), "is_featured": featured, "position": position},
            )
        if self.with_pictures:
            self.add_pictures(products, entrepreneur_user, entrepreneur)

    def upsert_second_supplier(self) -> SupplierProfile:
        user = self.upsert_user(SECOND_SUPPLIER)
        supplier, _ = SupplierProfile.objects.get_or_create(
            user=user,
            defaults={
                "company_name": "Kano Naturals Ltd", "business_registration": "RC2290117",
                "tax_id": "TIN-31188420-0001", "address": "7 Bompai Road, Nassarawa, Kano",
                "contact_person": "Aisha Bello", "phone_number": SECOND_SUPPLIER.phone,
                "email": SECOND_SUPPLIER.email,
                "bank_details": {"bank_name": "Access Bank", "bank_code": "044", "account_number": "0987654321",
                                 "account_name": "Kano Naturals Ltd"},
                "commission_rate": Decimal("10.00"), "business_hours": {"mon-sat": "08:00-17:00"},
                "performance_rating": Decimal("4.40"),
            },
        )
        if supplier.verification_status != SupplierProfile.VerificationStatus.VERIFIED or not supplier.is_active:
            supplier.verification_status = SupplierProfile.VerificationStatus.VERIFIED
            supplier.is_active = True
            supplier.save(update_fields=["verification_status", "is_active", "updated_at"])
        return supplier

    def upsert_product(self, demo: DemoProduct, supplier: SupplierProfile, category: Category) -> Product:
        product = Product.objects.filter(sku=demo.sku).first()
        if product is None:
            slug = slugify(demo.name)
            if Product.objects.filter(slug=slug).exists():
                slug = f"{slug}-{demo.sku.lower()}"
            variation_stock = sum(v[4] for v in demo.variations)
            product = Product.objects.create(
                supplier=supplier, category=category, name=demo.name, slug=slug, sku=demo.sku,
                description=demo.description, base_price=Decimal(demo.base_price),
                suggested_markup=Decimal(demo.markup), stock_quantity=demo.stock + variation_stock,
                weight=Decimal(demo.weight) if demo.weight else None,
            )
        for sku, name, attributes, modifier, stock in demo.variations:
            ProductVariation.objects.get_or_create(
                sku=sku,
                defaults={"product": product, "name": name, "attributes": attributes,
                          "price_modifier": Decimal(modifier), "stock_quantity": stock},
            )
        return product

    # --- pictures (drawn locally, stored through the upload pipeline) -----------------------------------

    def add_pictures(self, products: dict, entrepreneur_user: User, entrepreneur: EntrepreneurProfile) -> None:
        """A picture for each demo product that has none, and a banner for the store if it has none."""
        category_of = {demo.sku: demo.category for demo in (*PRODUCTS, *SECOND_SUPPLIER_PRODUCTS)}
        with_images = set(ProductImage.objects.filter(product__in=products.values())
                          .values_list("product_id", flat=True))
        for sku, product in products.items():
            if product.pk in with_images:
                continue
            upload = SimpleUploadedFile(f"{sku.lower()}.png", product_picture(name=product.name,
                                                                               category=category_of[sku]),
                                        content_type="image/png")
            product_image_add(product=product, uploaded_file=upload, alt_text=product.name)
        if not entrepreneur.banner_image:
            upload = SimpleUploadedFile("banner.png", banner_picture(
                title=entrepreneur.business_name, tagline="Ankara · Aba leather · phones · beauty"),
                content_type="image/png")
            entrepreneur_image_set(user=entrepreneur_user, image_type="banner", uploaded_file=upload)

    def picture_names(self) -> list[str]:
        names = list(ProductImage.objects.filter(product__sku__startswith="LTH-").values_list("image", flat=True))
        banner = EntrepreneurProfile.objects.filter(custom_url=STORE_URL).values_list("banner_image", flat=True)
        return [name for name in [*names, *banner] if name]

    # --- output ---------------------------------------------------------------------------------------

    def report(self):
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        line = self.stdout.write
        line(self.style.SUCCESS("Demo data ready."))
        line(f"  Products: {Product.objects.filter(sku__startswith='LTH-').count()} "
             f"({ProductVariation.objects.filter(sku__startswith='LTH-').count()} variations, "
             f"{ProductImage.objects.filter(product__sku__startswith='LTH-').count()} pictures) "
             "from Lagos Trade Hub Ltd")
        line("")
        line("Logins (username / password):")
        line(f"  admin        {ADMIN.username} / {ADMIN.password}   ({base}/admin/)")
        line(f"  supplier     {SUPPLIER.username} / {SUPPLIER.password}   (verified: Lagos Trade Hub Ltd)")
        line(f"  supplier     {SECOND_SUPPLIER.username} / {SECOND_SUPPLIER.password}   (verified: Kano Naturals Ltd)")
        line(f"  entrepreneur {ENTREPRENEUR.username} / {ENTREPRENEUR.password}   (Ada Styles)")
        line(f"  customer     {CUSTOMER.username} / {CUSTOMER.password}")
        line("")
        line(f"Demo storefront: {base}/{self.store_url}/")
        line(f"API docs:        {base}/api/docs/")
