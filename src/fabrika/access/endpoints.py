"""The users, roles, departments and "me" endpoints (registered on the API router).

They live apart from `access/api.py` because DRF imports `AreaPermission` from there through
its settings while its own views module is still loading; a module that also defines viewsets
would import DRF's views in the middle of that. `AccessConfig.ready()` imports this module.

Serializers only check input; the viewsets hand the checked data to `access.services`.
"""

import django_filters
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fabrika.api.router import router

from . import services
from .api import ScopedViewSetMixin
from .areas import AREAS
from .models import Department, Role, User
from .policy import SIGNED_IN, access_for, can, scope_of


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Role.objects.all(), required=False
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        help_text="Only when creating; without it the user cannot sign in yet.",
    )
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "password",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "position",
            "department",
            "roles",
            "language",
            "is_active",
            "last_login",
            "date_joined",
        ]
        read_only_fields = ["id", "last_login", "date_joined"]


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class UserFilter(django_filters.FilterSet):
    role = django_filters.CharFilter(field_name="roles__code", label="role code")

    class Meta:
        model = User
        fields = ["department", "is_active", "role"]


class UserViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users. They are never deleted here: set `is_active` to false to deactivate one."""

    access_area = "access"
    access_actions = {"set_password": "change"}
    queryset = User.objects.select_related("department").prefetch_related("roles").order_by("username")
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "last_name", "last_login", "date_joined"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["password"] = data.get("password") or None
        serializer.instance = services.user_create(**data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if data.pop("password", None):
            raise serializers.ValidationError(
                {"password": ["Use the set_password action to change a password."]}
            )
        serializer.instance = services.user_update(
            user=serializer.instance, roles=data.pop("roles", None), **data
        )

    @extend_schema(request=PasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def set_password(self, request, pk=None):
        user = self.get_object()
        serializer = PasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_set_password(user=user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleSerializer(serializers.ModelSerializer):
    users_count = serializers.IntegerField(read_only=True)
    permissions = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='area -> granted actions, e.g. {"crm": ["view", "add"]}. Areas: ' + ", ".join(AREAS),
    )
    scopes = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="area -> own / team / all, for areas with owned records",
    )
    code = serializers.SlugField(max_length=40, required=False, allow_blank=True)

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "description",
            "permissions",
            "scopes",
            "requires_second_factor",
            "builtin",
            "users_count",
        ]
        read_only_fields = ["id", "builtin", "users_count"]


class RoleViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    access_area = "access"
    queryset = Role.objects.annotate(users_count=Count("users", distinct=True)).order_by("name")
    serializer_class = RoleSerializer
    filterset_fields = ["builtin", "requires_second_factor"]
    search_fields = ["code", "name", "description"]
    ordering_fields = ["name", "code"]

    def perform_create(self, serializer):
        role = services.role_create(**serializer.validated_data)
        serializer.instance = Role.objects.annotate(users_count=Count("users", distinct=True)).get(pk=role.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if not data.get("code", "x"):
            data.pop("code")
        role = services.role_update(role=serializer.instance, **data)
        serializer.instance = Role.objects.annotate(users_count=Count("users", distinct=True)).get(pk=role.pk)

    def perform_destroy(self, instance):
        services.role_delete(role=instance)


class DepartmentSerializer(serializers.ModelSerializer):
    members_count = serializers.IntegerField(read_only=True)
    head = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Department
        fields = ["id", "name", "head", "members_count"]
        read_only_fields = ["id", "members_count"]


class DepartmentViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    access_area = "access"
    queryset = Department.objects.annotate(members_count=Count("members", distinct=True)).order_by("name")
    serializer_class = DepartmentSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]

    def _reloaded(self, department):
        return Department.objects.annotate(members_count=Count("members", distinct=True)).get(
            pk=department.pk
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = self._reloaded(
            services.department_create(name=data["name"], head=data.get("head"))
        )

    def perform_update(self, serializer):
        department = serializer.instance
        data = serializer.validated_data
        serializer.instance = self._reloaded(
            services.department_update(
                department=department,
                name=data.get("name", department.name),
                head=data.get("head", department.head),
            )
        )

    def perform_destroy(self, instance):
        services.department_delete(department=instance)


class MeSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    department = serializers.StringRelatedField()
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    rights = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()
    second_factor_required = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "position",
            "department",
            "roles",
            "language",
            "rights",
            "scopes",
            "second_factor_required",
        ]

    def get_rights(self, user) -> dict[str, list[str]]:
        return {
            area: [a for a in actions if can(user, area, a)]
            for area, (_l, actions, _s) in AREAS.items()
            if can(user, area, "view")
        }

    def get_scopes(self, user) -> dict[str, str]:
        return {
            area: scope_of(user, area)
            for area, (_l, _a, scoped) in AREAS.items()
            if scoped and can(user, area, "view")
        }

    def get_second_factor_required(self, user) -> bool:
        return access_for(user).second_factor_required


class MeViewSet(viewsets.GenericViewSet):
    """The signed-in user: details, roles, and what they may do."""

    access_policy = SIGNED_IN
    serializer_class = MeSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return User.objects.filter(pk=self.request.user.pk)

    @extend_schema(responses=MeSerializer)
    def list(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)


router.register("users", UserViewSet, basename="user")
router.register("roles", RoleViewSet, basename="role")
router.register("departments", DepartmentViewSet, basename="department")
router.register("me", MeViewSet, basename="me")
