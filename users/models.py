import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from .sessions import user_end_sessions

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_referral_code(length: int = 8) -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(length))


class PayjaroUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("user_type", User.UserType.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    class UserType(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ENTREPRENEUR = "entrepreneur", "Entrepreneur"
        SUPPLIER = "supplier", "Supplier"
        ADMIN = "admin", "Admin"

    email = models.EmailField("email address", unique=True)
    user_type = models.CharField(max_length=20, choices=UserType.choices, default=UserType.CUSTOMER, db_index=True)
    # E.164 (+234…); nullable so that admins created from the command line need none.
    phone_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    referral_code = models.CharField(max_length=20, unique=True, blank=True)
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    is_phone_verified = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PayjaroUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(user_type__in=["customer", "entrepreneur", "supplier", "admin"]),
                name="users_user_type_valid",
            ),
        ]

    def __str__(self):
        return f"{self.username} ({self.user_type})"

    @property
    def is_admin(self) -> bool:
        return self.is_staff or self.is_superuser or self.user_type == self.UserType.ADMIN

    def save(self, *args, **kwargs):
        if self.email:
            self.email = self.email.strip().lower()
        if not self.referral_code:
            code = generate_referral_code()
            while User.objects.filter(referral_code=code).exists():
                code = generate_referral_code()
            self.referral_code = code
        else:
            self.referral_code = self.referral_code.strip().upper()
        if self.phone_number == "":
            self.phone_number = None
        # set_password() leaves the new raw password in _password until the save (AbstractBaseUser).
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed or not self.is_active:
            # A new password (own change, admin reset) or a deactivation ends every session (users.sessions).
            user_end_sessions(self)
