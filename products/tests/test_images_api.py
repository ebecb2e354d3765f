"""Product image upload / bulk upload / update / delete, on local storage and on S3 (moto)."""
import io

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws
from PIL import Image

from products.models import ProductImage
from tests.factories import EntrepreneurUserFactory, ProductFactory, SupplierFactory

from .factories import fake_jpeg_upload, png_bomb_bytes, png_upload

pytestmark = pytest.mark.django_db


def images_url(product):
    return f"/api/products/products/{product.pk}/images/"


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier)


@pytest.fixture
def client(auth_client, supplier):
    return auth_client(supplier.user)


def stored_image(name):
    with default_storage.open(name) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_upload_real_png_is_stored_resized_as_jpeg(client, product):
    response = client.post(images_url(product), {"image": png_upload(size=(3000, 1500)), "alt_text": "Front"},
                           format="multipart")

    assert response.status_code == 201, response.data
    body = response.json()
    image = ProductImage.objects.get(pk=body["id"])
    assert image.image.name.startswith(f"products/{product.pk}/") and image.image.name.endswith(".jpg")
    assert body["url"] == f"http://testserver/media/{image.image.name}"
    assert (body["is_primary"], body["alt_text"], body["position"]) == (True, "Front", 0)  # first image is primary
    assert default_storage.exists(image.image.name)
    stored = stored_image(image.image.name)
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (1200, 600))

    catalog = client.get(f"/api/products/products/{product.pk}/").json()
    assert catalog["primary_image"] == body["url"]


def test_new_primary_unsets_the_old_one(client, product):
    first = client.post(images_url(product), {"image": png_upload()}, format="multipart").json()
    second = client.post(images_url(product), {"image": png_upload()}, format="multipart").json()
    assert (first["is_primary"], second["is_primary"], second["position"]) == (True, False, 1)

    third = client.post(images_url(product), {"image": png_upload(), "is_primary": "true"}, format="multipart")
    assert third.status_code == 201
    assert list(ProductImage.objects.filter(product=product, is_primary=True).values_list("pk", flat=True)) == [
        third.json()["id"]]

    response = client.patch(f"{images_url(product)}{first['id']}/", {"is_primary": True, "alt_text": "Main"},
                            format="json")
    assert response.status_code == 200, response.data
    assert list(ProductImage.objects.filter(product=product, is_primary=True).values_list("pk", flat=True)) == [
        first["id"]]


def test_fake_image_is_400_and_nothing_is_stored(client, product):
    response = client.post(images_url(product), {"image": fake_jpeg_upload()}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"code": "validation_failed", "error": "The file is not a valid image.",
                               "details": {"image": ["The file is not a valid image."]}}
    assert not ProductImage.objects.exists()


def test_oversized_image_is_413(client, product, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50 * 1024
    noisy = Image.effect_noise((400, 400), 80).convert("RGB")  # noise does not compress
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 50 * 1024
    response = client.post(images_url(product), {"image": SimpleUploadedFile("n.png", buffer.getvalue())},
                           format="multipart")
    assert response.status_code == 413
    assert response.json()["error"] == "The image is larger than 50 KB."
    assert not ProductImage.objects.exists()


def test_file_over_the_default_10_mb_limit_is_413(client, product):
    upload = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), content_type="image/jpeg")
    response = client.post(images_url(product), {"image": upload}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "error": "The image is larger than 10 MB.",
                               "details": {"image": [f"At most {10 * 1024 * 1024} bytes."]}}


def test_decompression_bomb_upload_is_400(client, product):
    response = client.post(images_url(product), {"image": SimpleUploadedFile("bomb.png", png_bomb_bytes())},
                           format="multipart")
    assert response.status_code == 400
    assert "too many pixels" in response.json()["error"]


def test_missing_image_is_400(client, product):
    response = client.post(images_url(product), {"alt_text": "x"}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()["details"]


def test_delete_removes_row_and_file_and_promotes_next_primary(client, product, django_capture_on_commit_callbacks):
    first = client.post(images_url(product), {"image": png_upload()}, format="multipart").json()
    second = client.post(images_url(product), {"image": png_upload()}, format="multipart").json()
    name = ProductImage.objects.get(pk=first["id"]).image.name
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{images_url(product)}{first['id']}/")

    assert response.status_code == 204
    assert not ProductImage.objects.filter(pk=first["id"]).exists()
    assert not default_storage.exists(name)
    assert ProductImage.objects.get(pk=second["id"]).is_primary is True


def test_file_is_kept_if_the_transaction_rolls_back(client, product, django_capture_on_commit_callbacks):
    """The file is deleted on commit only, so a rolled-back delete never leaves a row without its file."""
    first = client.post(images_url(product), {"image": png_upload()}, format="multipart").json()
    name = ProductImage.objects.get(pk=first["id"]).image.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.delete(f"{images_url(product)}{first['id']}/")
    assert callbacks  # the file deletion (and the public-cache invalidation, core.cache) wait for the commit
    assert default_storage.exists(name)


def test_bulk_upload_accepts_valid_and_reports_invalid(client, product):
    files = [png_upload("a.png"), fake_jpeg_upload(), png_upload("c.png")]
    response = client.post(f"{images_url(product)}bulk/", {"images": files}, format="multipart")

    assert response.status_code == 201, response.data
    body = response.json()
    assert len(body["successful_uploads"]) == 2
    assert body["successful_uploads"][0]["is_primary"] is True
    assert body["successful_uploads"][1]["is_primary"] is False
    assert body["failed_uploads"] == [{"index": 1, "filename": "invoice.jpg", "error": "The file is not a valid image.",
                                       "status": 400}]
    assert ProductImage.objects.filter(product=product).count() == 2


def test_bulk_upload_limits(client, product):
    response = client.post(f"{images_url(product)}bulk/", {"images": [png_upload(size=(10, 10)) for _ in range(11)]},
                           format="multipart")
    assert response.status_code == 400
    assert response.json()["details"] == {"images": ["At most 10 images per upload."]}
    assert client.post(f"{images_url(product)}bulk/", {}, format="multipart").status_code == 400
    response = client.post(f"{images_url(product)}bulk/", {"images": [fake_jpeg_upload()]}, format="multipart")
    assert response.status_code == 400
    assert not ProductImage.objects.exists()


def test_someone_elses_product_or_image_is_404(client, product):
    foreign = ProductFactory()
    foreign_image = ProductImage.objects.create(product=foreign, image="products/x/y.jpg", is_primary=True)
    assert client.post(images_url(foreign), {"image": png_upload()}, format="multipart").status_code == 404
    assert client.post(f"{images_url(foreign)}bulk/", {"images": [png_upload()]}, format="multipart").status_code == 404
    assert client.delete(f"{images_url(foreign)}{foreign_image.pk}/").status_code == 404
    # An image id of another product under my own product's URL is not found either.
    assert client.delete(f"{images_url(product)}{foreign_image.pk}/").status_code == 404
    assert ProductImage.objects.filter(pk=foreign_image.pk).exists()


def test_wrong_roles(auth_client, api_client, product):
    assert auth_client(EntrepreneurUserFactory()).post(images_url(product), {"image": png_upload()},
                                                       format="multipart").status_code == 403
    unverified = SupplierFactory(verification_status="pending")
    own = ProductFactory(supplier=unverified)
    assert auth_client(unverified.user).post(images_url(own), {"image": png_upload()},
                                             format="multipart").status_code == 403
    assert api_client.post(images_url(product), {"image": png_upload()}, format="multipart").status_code == 401


# --- S3 through django-storages, with moto -------------------------------------------------------

BUCKET = "payjaro-media-test"


@pytest.fixture
def s3(settings, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        settings.AWS_STORAGE_BUCKET_NAME = BUCKET
        settings.AWS_ACCESS_KEY_ID = "testing"
        settings.AWS_SECRET_ACCESS_KEY = "testing"
        settings.AWS_S3_REGION_NAME = "eu-west-1"
        settings.AWS_S3_ENDPOINT_URL = None
        settings.AWS_S3_CUSTOM_DOMAIN = None
        # Changing STORAGES fires setting_changed, which resets django's cached default_storage.
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
        yield client


def bucket_keys(client):
    return sorted(obj["Key"] for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_s3_upload_and_delete(s3, client, product, django_capture_on_commit_callbacks):
    from storages.backends.s3 import S3Storage

    response = client.post(images_url(product), {"image": png_upload(size=(1600, 1600))}, format="multipart")

    assert response.status_code == 201, response.data
    name = ProductImage.objects.get(pk=response.json()["id"]).image.name
    assert isinstance(default_storage._wrapped, S3Storage)
    assert bucket_keys(s3) == [name]
    assert name.startswith(f"products/{product.pk}/")
    assert response.json()["url"].startswith(f"https://{BUCKET}.s3")
    assert response.json()["url"].endswith(name)
    head = s3.head_object(Bucket=BUCKET, Key=name)
    assert head["ContentType"] == "image/jpeg"
    stored = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=name)["Body"].read()))
    assert (stored.format, stored.size) == ("JPEG", (1200, 1200))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{images_url(product)}{response.json()['id']}/")
    assert response.status_code == 204
    assert bucket_keys(s3) == []


def test_s3_failed_row_save_removes_the_uploaded_object(s3, client, product, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ProductImage.objects, "create", boom)
    with pytest.raises(RuntimeError):
        client.post(images_url(product), {"image": png_upload()}, format="multipart")
    assert bucket_keys(s3) == []
