from django.db import models


class OrderPageToken(models.Model):
    """The capability of a guest's order page ``/<custom_url>/orders/<token>/`` (SPEC §9).

    The token (192 random bits) is only ever in the shopper's link; we keep its SHA-256, so a database
    leak does not open anybody's order page, and looking one up by hash leaks nothing through timing.
    """

    checkout = models.OneToOneField("orders.Checkout", on_delete=models.CASCADE, related_name="order_page_token")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Order page of checkout {self.checkout_id}"
