from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self):
        # Cached catalog reads are invalidated when what they show changes (products/caching.py).
        from products.caching import connect_invalidation
        from products.visibility import connect_visibility

        # Visibility first: the catalog cache is bumped after the flags it shows are right.
        connect_visibility()
        connect_invalidation()
