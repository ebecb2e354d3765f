from django.urls import path

from . import api

urlpatterns = [
    path("register/", api.RegisterView.as_view(), name="user-register"),
    path("login/", api.LoginView.as_view(), name="user-login"),
    path("token/refresh/", api.RefreshView.as_view(), name="token-refresh"),
    path("logout/", api.LogoutView.as_view(), name="user-logout"),
    path("password/change/", api.PasswordChangeView.as_view(), name="user-password-change"),
    path("profile/", api.ProfileView.as_view(), name="user-profile"),
]
