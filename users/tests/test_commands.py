"""``createsuperuser --noinput`` yields an admin (SPEC §2)."""
import pytest
from django.core.management import call_command

from users.models import User

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput_yields_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Payjaro.ng")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Very-Strong-Pass-2026")

    call_command("createsuperuser", "--noinput", verbosity=0)

    user = User.objects.get(username="boss")
    assert user.user_type == User.UserType.ADMIN
    assert user.is_superuser and user.is_staff
    assert user.email == "boss@payjaro.ng"
    assert user.check_password("Very-Strong-Pass-2026")
    assert user.referral_code
    assert user.phone_number is None
    assert user.is_admin


def test_create_superuser_manager_defaults_to_admin():
    user = User.objects.create_superuser("root", "root@example.com", "Very-Strong-Pass-2026")
    assert user.user_type == "admin"


def test_two_users_without_phone_are_allowed():
    User.objects.create_superuser("a1", "a1@example.com", "Very-Strong-Pass-2026")
    User.objects.create_superuser("a2", "a2@example.com", "Very-Strong-Pass-2026")
    assert User.objects.filter(phone_number__isnull=True).count() == 2


def test_superuser_can_log_in_by_email(api_client):
    User.objects.create_superuser("root", "root@example.com", "Very-Strong-Pass-2026")
    response = api_client.post("/api/users/login/", {"username": "root@example.com",
                                                     "password": "Very-Strong-Pass-2026"}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["user_type"] == "admin"
