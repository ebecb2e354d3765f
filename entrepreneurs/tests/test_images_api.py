import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import CustomerFactory, EntrepreneurFactory, EntrepreneurUserFactory

pytestmark = pytest.mark.django_db


def _png(width=1000, height=800, mode="RGBA", name="photo.png"):
    buffer = io.BytesIO()
    color = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    Image.new(mode, (width, height), color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _upload(client, image_type, file):
    return client.post(f"/api/entrepreneurs/images/{image_type}/", {"image": file}, format="multipart")


def _stored_image(name):
    with default_storage.open(name) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_upload_profile_png_is_stored_resized_as_jpeg(auth_client):
    profile = EntrepreneurFactory()
    response = _upload(auth_client(profile.user), "profile", _png(1000, 800))
    assert response.status_code == 200, response.content
    body = response.json()
    profile.refresh_from_db()
    name = profile.profile_image.name
    assert re.fullmatch(rf"entrepreneurs/{profile.id}/profile/[0-9a-f]{{32}}\.jpg", name)
    assert body["image_type"] == "profile"
    assert body["url"] == f"http://testserver/media/{name}"
    assert body["profile"]["profile_image"] == body["url"]
    assert default_storage.exists(name)
    stored = _stored_image(name)
    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert stored.size == (400, 400)


def test_upload_banner_is_cropped_to_1200x400(auth_client):
    profile = EntrepreneurFactory()
    response = _upload(auth_client(profile.user), "banner", _png(2400, 1800, mode="RGB"))
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert profile.banner_image.name.startswith(f"entrepreneurs/{profile.id}/banner/")
    assert _stored_image(profile.banner_image.name).size == (1200, 400)
    assert not profile.profile_image


def test_replace_deletes_old_file_after_commit(auth_client, django_capture_on_commit_callbacks):
    profile = EntrepreneurFactory()
    client = auth_client(profile.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(client, "profile", _png()).status_code == 200
    profile.refresh_from_db()
    old_name = profile.profile_image.name
    assert default_storage.exists(old_name)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _upload(client, "profile", _png(600, 600, mode="RGB")).status_code == 200
    profile.refresh_from_db()
    new_name = profile.profile_image.name
    assert new_name != old_name
    # Not deleted before the commit…
    assert default_storage.exists(old_name)
    assert callbacks  # the file deletion (and the public-cache invalidation, core.cache) wait for the commit
    for callback in callbacks:
        callback()
    # …and gone after it.
    assert not default_storage.exists(old_name)
    assert default_storage.exists(new_name)


def test_fake_image_is_400_and_nothing_stored(auth_client):
    profile = EntrepreneurFactory()
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF", content_type="image/jpeg")
    response = _upload(auth_client(profile.user), "profile", fake)
    assert response.status_code == 400
    assert response.json()["details"] == {"image": ["The file is not a valid image."]}
    profile.refresh_from_db()
    assert not profile.profile_image


def test_gif_is_rejected(auth_client):
    profile = EntrepreneurFactory()
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    response = _upload(auth_client(profile.user), "profile", SimpleUploadedFile("a.png", buffer.getvalue()))
    assert response.status_code == 400


def test_oversized_image_is_413(auth_client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024
    profile = EntrepreneurFactory()
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 4096, content_type="image/png")
    response = _upload(auth_client(profile.user), "profile", big)
    assert response.status_code == 413
    profile.refresh_from_db()
    assert not profile.profile_image


def test_missing_file_and_unknown_type(auth_client):
    profile = EntrepreneurFactory()
    client = auth_client(profile.user)
    response = client.post("/api/entrepreneurs/images/profile/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["details"] == {"image": ["No image file was provided."]}
    response = _upload(client, "avatar", _png())
    assert response.status_code == 400
    assert "image_type" in response.json()["details"]


def test_wrong_role_is_403(auth_client):
    assert _upload(auth_client(CustomerFactory()), "profile", _png()).status_code == 403


def test_anonymous_is_401(api_client):
    assert _upload(api_client, "profile", _png()).status_code == 401


def test_entrepreneur_without_profile_is_409(auth_client):
    response = _upload(auth_client(EntrepreneurUserFactory()), "profile", _png())
    assert response.status_code == 409
    assert "profile first" in response.json()["error"]
