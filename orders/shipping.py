"""Shipping addresses: the 36 states + FCT, and the one cleaning function every order goes through."""
from django.core.exceptions import ValidationError as DjangoValidationError

from core.errors import ValidationFailed
from users.phone import normalize_phone

FCT = "FCT"

NIGERIAN_STATES: tuple[str, ...] = (
    "Abia", "Adamawa", "Akwa Ibom", "Anambra", "Bauchi", "Bayelsa", "Benue", "Borno", "Cross River",
    "Delta", "Ebonyi", "Edo", "Ekiti", "Enugu", "Gombe", "Imo", "Jigawa", "Kaduna", "Kano", "Katsina",
    "Kebbi", "Kogi", "Kwara", "Lagos", "Nasarawa", "Niger", "Ogun", "Ondo", "Osun", "Oyo", "Plateau",
    "Rivers", "Sokoto", "Taraba", "Yobe", "Zamfara", FCT,
)

_ALIASES = {
    "federal capital territory": FCT,
    "abuja": FCT,
    "fct abuja": FCT,
    "abuja fct": FCT,
    "nassarawa": "Nasarawa",
    "akwa-ibom": "Akwa Ibom",
    "cross-river": "Cross River",
}
_BY_KEY = {name.lower(): name for name in NIGERIAN_STATES} | _ALIASES

ADDRESS_FIELDS = {"full_name": 200, "phone": 32, "address": 500, "city": 100, "state": 100}


def normalize_state(raw: str) -> str:
    """``"lagos"``, ``"LAGOS STATE"`` → ``"Lagos"``; ``"Abuja"`` → ``"FCT"``. Unknown → ``ValueError``."""
    key = " ".join(str(raw or "").replace(",", " ").split()).lower()
    if key.endswith(" state"):
        key = key[: -len(" state")]
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"{raw!r} is not a Nigerian state") from None


def clean_shipping_address(raw) -> dict:
    """Validate and normalise a shipping address: known keys only, phone in E.164, canonical state name.

    Raises ``ValidationFailed`` with ``details = {"shipping_address": {field: [message]}}``.
    """
    if not isinstance(raw, dict):
        raise ValidationFailed("shipping_address: must be an object.",
                               details={"shipping_address": ["Must be an object with full_name, phone, address, city, state."]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, max_length in ADDRESS_FIELDS.items():
        value = raw.get(field)
        if value is None or not isinstance(value, str | int) or not str(value).strip():
            errors[field] = ["This field is required."]
            continue
        value = " ".join(str(value).split())
        if len(value) > max_length:
            errors[field] = [f"Ensure this field has no more than {max_length} characters."]
            continue
        cleaned[field] = value
    if "phone" in cleaned:
        try:
            cleaned["phone"] = normalize_phone(cleaned["phone"])
        except DjangoValidationError as exc:
            errors["phone"] = list(exc.messages)
        else:
            if not cleaned["phone"].startswith("+234"):
                errors["phone"] = ["Enter a Nigerian phone number, e.g. 08012345678 or +2348012345678."]
    if "state" in cleaned:
        try:
            cleaned["state"] = normalize_state(cleaned["state"])
        except ValueError:
            errors["state"] = ["Enter one of the 36 Nigerian states or FCT."]
    if errors:
        field = next(iter(errors))
        raise ValidationFailed(f"shipping_address.{field}: {errors[field][0]}", details={"shipping_address": errors})
    return cleaned
