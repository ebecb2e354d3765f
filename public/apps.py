from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Public"

    def ready(self):
        # Cached public pages are invalidated when what they show changes (public/caching.py).
        from public.caching import connect_invalidation

        connect_invalidation()

        # Uploaded images get thumbnails and a link-preview JPEG in the background.
        from .signals import connect_thumbnails

        connect_thumbnails()
