"""Helpers for storefront tests (the model factories live in tests/factories.py)."""
from tests.factories import EntrepreneurFactory, StorefrontFactory


def entrepreneur_with_store(**storefront_kwargs):
    """An entrepreneur profile with a published storefront."""
    profile = EntrepreneurFactory()
    storefront = StorefrontFactory(entrepreneur=profile, **storefront_kwargs)
    return profile, storefront
