"""Nigeria's 36 states + FCT, shared by shipping addresses and suppliers' delivery areas."""

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


def normalize_state(raw: str) -> str:
    """``"lagos"``, ``"LAGOS STATE"`` → ``"Lagos"``; ``"Abuja"`` → ``"FCT"``. Unknown → ``ValueError``."""
    key = " ".join(str(raw or "").replace(",", " ").split()).lower()
    if key.endswith(" state"):
        key = key[: -len(" state")]
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"{raw!r} is not a Nigerian state") from None


def normalize_states(values) -> tuple[list[str], list]:
    """``(canonical names, in order and without duplicates; the values that are not states)``."""
    names: list[str] = []
    unknown = []
    for value in values:
        try:
            name = normalize_state(value) if isinstance(value, str) else None
        except ValueError:
            name = None
        if name is None:
            unknown.append(value)
        elif name not in names:
            names.append(name)
    return names, unknown
