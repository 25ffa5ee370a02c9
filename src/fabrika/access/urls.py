from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("language/", views.LanguageView.as_view(), name="language"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
]
