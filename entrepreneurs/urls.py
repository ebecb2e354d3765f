from django.urls import path

from . import api

urlpatterns = [
    path("profile/", api.EntrepreneurProfileView.as_view(), name="entrepreneur-profile"),
    path("images/<str:image_type>/", api.EntrepreneurImageUploadView.as_view(), name="entrepreneur-image-upload"),
]
