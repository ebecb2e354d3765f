"""Shipping addresses: the one cleaning function every order goes through (states live in ``core.nigeria``)."""
from django.core.exceptions import ValidationError as DjangoValidationError

from core.errors import ValidationFailed
from core.nigeria import FCT, NIGERIAN_STATES, normalize_state  # noqa: F401 (re-exported)
from users.phone import normalize_phone

ADDRESS_FIELDS = {"full_name": 200, "phone": 32, "address": 500, "city": 100, "state": 100}


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
