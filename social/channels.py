"""The one list of share channels (SPEC §8). A shared link carries its channel as ``?src=``; an order placed
from it keeps it as ``Order.source_channel``; analytics counts shares, clicks and revenue by it."""
from django.db import models


class ShareChannel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    FACEBOOK = "facebook", "Facebook"
    X = "x", "X"
    INSTAGRAM = "instagram", "Instagram"
    QR = "qr", "QR code"
    LINK = "link", "Link"
