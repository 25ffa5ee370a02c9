from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("language/", views.LanguageView.as_view(), name="language"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("profile/token/", views.ApiTokenView.as_view(), name="api-token"),
    path("profile/second-factor/", views.OtpSetupView.as_view(), name="otp-setup"),
    path("profile/second-factor/remove/", views.OtpRemoveView.as_view(), name="otp-remove"),
    path("otp/", views.OtpView.as_view(), name="otp"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/new/", views.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user-edit"),
    path("users/<int:pk>/password/", views.UserPasswordView.as_view(), name="user-password"),
    path("users/<int:pk>/deactivate/", views.UserDeactivateView.as_view(), name="user-deactivate"),
    path("users/<int:pk>/activate/", views.UserActivateView.as_view(), name="user-activate"),
    path("users/<int:pk>/reset-second-factor/", views.UserOtpResetView.as_view(), name="user-otp-reset"),
    path("users/<int:pk>/delete/", views.UserDeleteView.as_view(), name="user-delete"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("departments/new/", views.DepartmentCreateView.as_view(), name="department-create"),
    path("departments/<int:pk>/", views.DepartmentEditView.as_view(), name="department-edit"),
    path("departments/<int:pk>/delete/", views.DepartmentDeleteView.as_view(), name="department-delete"),
    path("roles/", views.RoleListView.as_view(), name="role-list"),
    path("roles/new/", views.RoleCreateView.as_view(), name="role-create"),
    path("roles/<int:pk>/", views.RoleEditView.as_view(), name="role-edit"),
    path("roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role-delete"),
]
