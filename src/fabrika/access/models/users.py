from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A team: record scope `team` means "records owned by people of my department"."""

    access_area = "access"

    name = models.CharField(_("name"), max_length=100, unique=True)
    head = models.ForeignKey(
        "access.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("access:department-edit", args=[self.pk])


class User(AbstractUser):
    access_area = "access"

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    roles = models.ManyToManyField("access.Role", verbose_name=_("roles"), blank=True, related_name="users")
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", "English"), ("fr", "Français"), ("ru", "Русский")],
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("access:user-edit", args=[self.pk])
