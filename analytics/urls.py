from django.urls import path

from .api import EntrepreneurAnalyticsView, SupplierAnalyticsView, TrackClickView, TrackEventView

app_name = "analytics"

urlpatterns = [
    path("track/", TrackEventView.as_view(), name="track"),
    path("track-click/", TrackClickView.as_view(), name="track-click"),
    path("entrepreneur/", EntrepreneurAnalyticsView.as_view(), name="entrepreneur"),
    path("supplier/", SupplierAnalyticsView.as_view(), name="supplier"),
]
