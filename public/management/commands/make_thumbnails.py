"""Backfill the thumbnails and link-preview JPEGs of images stored before they were made at upload."""
from django.core.management.base import BaseCommand

from core.thumbnails import make_derivatives
from entrepreneurs.models import EntrepreneurProfile
from products.models import ProductImage


class Command(BaseCommand):
    help = "Make the 320/640 px thumbnails and the 1200×630 preview JPEG of every stored image that lacks them."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Make them again even where they exist.")

    def handle(self, *args, force: bool = False, **options):
        names = set(ProductImage.objects.exclude(image="").values_list("image", flat=True).iterator())
        for banner, profile in EntrepreneurProfile.objects.values_list("banner_image", "profile_image").iterator():
            names.update(name for name in (banner, profile) if name)
        written = 0
        for name in sorted(names):
            written += len(make_derivatives(name, overwrite=force))
        self.stdout.write(f"{len(names)} images checked, {written} thumbnails/previews written.")
