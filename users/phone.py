"""Nigerian phone numbers: parse, validate and normalise to E.164 (``08012345678`` → ``+2348012345678``)."""
import phonenumbers
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, region: str = "NG") -> str:
    if raw is None or not str(raw).strip():
        raise ValidationError("Enter a phone number.")
    try:
        number = phonenumbers.parse(str(raw).strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number, e.g. 08012345678 or +2348012345678.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number, e.g. 08012345678 or +2348012345678.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
