"""Sign-in, throttling, the second factor, the profile page and the UI language."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from fabrika.access.models import User
from fabrika.access.views import PENDING_KEY
from fabrika.audit.models import BusinessEvent

from .factories import PASSWORD, give_device, make_user, sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/access/login/"


def wrong_code(right: int | str) -> str:
    return f"{(int(right) + 500000) % 1000000:06d}"


# --- sign-in --------------------------------------------------------------------------------


def test_sign_in_with_the_right_password_opens_home(client):
    make_user("dora", "director", first_name="Dora")

    response = client.post(LOGIN, {"username": "dora", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Dora" in home.content.decode()


def test_wrong_password_keeps_the_user_on_the_login_page(client):
    make_user("dora", "director")

    response = client.post(LOGIN, {"username": "dora", "password": "not-it"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'class="alert alert-danger' in response.content.decode()
    # The typed user name is kept.
    assert 'value="dora"' in response.content.decode()


def test_empty_login_form_shows_errors_beside_the_fields(client):
    response = client.post(LOGIN, {"username": "", "password": ""})

    html = response.content.decode()
    assert 'id="id_username_errors"' in html
    assert 'id="id_password_errors"' in html


def test_sign_out_needs_post_and_ends_the_session(client):
    user = make_user("dora", "director")
    sign_in(client, user)

    response = client.post("/access/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_pages_send_anonymous_users_to_sign_in(client):
    response = client.get("/access/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/access/login/?next=/access/profile/"


# --- throttling (django-axes) ---------------------------------------------------------------


def test_too_many_failures_lock_the_account_even_for_the_right_password(client, settings):
    make_user("dora", "director")
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5

    for _attempt in range(limit - 1):
        response = client.post(LOGIN, {"username": "dora", "password": "guess"})
        assert response.status_code == 200
    locked = client.post(LOGIN, {"username": "dora", "password": "guess"})

    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()

    right = client.post(LOGIN, {"username": "dora", "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_other_users_are_not_locked_by_someone_elses_failures(client, settings):
    make_user("dora", "director")
    make_user("eric", "director")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "dora", "password": "guess"})

    response = client.post(LOGIN, {"username": "eric", "password": PASSWORD})

    assert response.status_code == 302


# --- second factor --------------------------------------------------------------------------


def test_administrator_is_forced_through_otp_and_sets_up_the_app_first(client):
    make_user("root", "administrator")
    client.post(LOGIN, {"username": "root", "password": PASSWORD})

    response = client.get("/access/users/")
    assert response.status_code == 302
    assert response["Location"] == "/access/otp/?next=/access/users/"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "otpauth://totp/Fabrika%3Aroot?secret=" in html
    assert "<svg" in html and "<path" in html  # the QR code, inline
    key = client.session[PENDING_KEY]
    code = totp(bytes.fromhex(key))

    refused = client.post("/access/otp/", {"code": wrong_code(code), "next": "/access/users/"})
    assert refused.status_code == 200
    assert 'id="id_code_errors"' in refused.content.decode()
    assert not TOTPDevice.objects.filter(user__username="root").exists()

    accepted = client.post("/access/otp/", {"code": f"{code:06d}", "next": "/access/users/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/access/users/"
    assert client.get("/access/users/").status_code == 200
    device = TOTPDevice.objects.get(user__username="root")
    assert device.confirmed
    assert device.key == key
    assert PENDING_KEY not in client.session


def test_administrator_with_a_device_confirms_a_code(client):
    admin = make_user("root", "administrator")
    device = give_device(admin)
    sign_in(client, admin, verified=False)

    assert client.get("/").status_code == 302
    page = client.get("/access/otp/?next=/")
    assert "otpauth://" not in page.content.decode()  # no set-up: a device exists

    response = client.post("/access/otp/", {"code": f"{totp(device.bin_key):06d}", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert (
        BusinessEvent.objects.filter(event="user.second_factor_verified", object_id=str(admin.pk)).count()
        == 1
    )


def test_a_used_code_cannot_be_used_again(client):
    admin = make_user("root", "administrator")
    device = give_device(admin)
    code = f"{totp(device.bin_key):06d}"
    sign_in(client, admin, verified=False)
    assert client.post("/access/otp/", {"code": code}).status_code == 302

    other = client.__class__()
    sign_in(other, admin, verified=False)
    response = other.post("/access/otp/", {"code": code})

    assert response.status_code == 200
    assert "The code is wrong or was already used." in response.content.decode()
    assert other.get("/").status_code == 302


def test_wrong_codes_are_counted_even_though_refused(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # the wait after one failure: 60 s
    admin = make_user("root", "administrator")
    device = give_device(admin)
    sign_in(client, admin, verified=False)

    client.post("/access/otp/", {"code": wrong_code(totp(device.bin_key))})

    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # The next attempt, even with the right code, must wait.
    response = client.post("/access/otp/", {"code": f"{totp(device.bin_key):06d}"})
    assert "Too many wrong codes" in response.content.decode()


def test_api_refuses_an_unverified_administrator_session(client):
    admin = make_user("root", "administrator")
    sign_in(client, admin, verified=False)

    assert client.get("/api/me/").status_code == 403


def test_replacing_the_device_needs_a_verified_session(client):
    user = make_user("dora", "director")
    give_device(user)
    sign_in(client, user, verified=False)

    response = client.get("/access/profile/second-factor/")

    assert response.status_code == 302
    assert response["Location"] == "/access/otp/?next=/access/profile/second-factor/"


def test_a_user_sets_up_and_removes_the_app_from_the_profile(client):
    user = make_user("dora", "director")
    sign_in(client, user)
    page = client.get("/access/profile/second-factor/")
    assert page.status_code == 200
    key = client.session[PENDING_KEY]

    response = client.post("/access/profile/second-factor/", {"code": f"{totp(bytes.fromhex(key)):06d}"})

    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=user)
    profile = client.get("/access/profile/").content.decode()
    assert "An authenticator app is set up." in profile

    # Removing needs a current code; the one just used is refused (already used).
    client.post("/access/profile/second-factor/remove/", {"code": f"{totp(bytes.fromhex(key)):06d}"})
    assert TOTPDevice.objects.filter(user=user).exists()
    device.refresh_from_db()
    device.last_t -= 1  # as if the app had moved on
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    client.post("/access/profile/second-factor/remove/", {"code": f"{totp(device.bin_key):06d}"})
    assert not TOTPDevice.objects.filter(user=user).exists()


# --- profile, language, token ---------------------------------------------------------------


def test_profile_shows_details_rights_token_and_second_factor(client):
    user = make_user("dora", "sales_manager", department="Sales", first_name="Dora", position="Manager")
    sign_in(client, user)

    html = client.get("/access/profile/").content.decode()

    assert 'value="Dora"' in html
    assert "Sales manager" in html
    assert "Customers and deals" in html  # a right from the role
    assert "own records" in html  # the sales manager's record scope
    assert "Create a token" in html
    assert 'href="/access/profile/second-factor/"' in html


def test_profile_saves_details_and_keeps_input_on_error(client):
    user = make_user("dora", "director")
    sign_in(client, user)

    bad = client.post(
        "/access/profile/",
        {"first_name": "Dora", "last_name": "Ex", "email": "not-an-email", "phone": "+33 1", "language": ""},
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'id="id_email_errors"' in html
    assert 'value="not-an-email"' in html
    assert User.objects.get(pk=user.pk).first_name == ""

    good = client.post(
        "/access/profile/",
        {
            "first_name": "Dora",
            "last_name": "Ex",
            "email": "dora@example.com",
            "phone": "+33 1",
            "language": "",
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email, user.phone) == (
        "Dora",
        "Ex",
        "dora@example.com",
        "+33 1",
    )


@pytest.mark.parametrize(
    ("language", "old_password_label"), [("fr", "Ancien mot de passe"), ("ru", "Старый пароль")]
)
def test_profile_language_changes_the_language_of_the_next_page(client, language, old_password_label):
    user = make_user("dora", "director")
    sign_in(client, user)
    assert "Old password" in client.get("/access/password/").content.decode()

    response = client.post(
        "/access/profile/",
        {"first_name": "", "last_name": "", "email": "", "phone": "", "language": language},
    )
    assert response.status_code == 302

    page = client.get("/access/password/")
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert old_password_label in html  # Django's own catalogue: the UI really switched
    assert User.objects.get(pk=user.pk).language == language
    assert BusinessEvent.objects.filter(event="user.language_changed", object_id=str(user.pk)).count() == 1


def test_password_change_goes_through_the_service(client):
    user = make_user("dora", "director")
    sign_in(client, user)

    response = client.post(
        "/access/password/",
        {"old_password": PASSWORD, "new_password1": "Another-Pass-77", "new_password2": "Another-Pass-77"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-Pass-77")
    assert client.get("/access/profile/").status_code == 200  # still signed in
    assert BusinessEvent.objects.filter(event="user.password_set", object_id=str(user.pk)).get().data == {
        "by_self": True
    }


def test_api_token_create_regenerate_revoke(client):
    user = make_user("dora", "director")
    sign_in(client, user)

    client.post("/access/profile/token/", {"action": "regenerate"})
    first = Token.objects.get(user=user).key
    assert first in client.get("/access/profile/").content.decode()

    client.post("/access/profile/token/", {"action": "regenerate"})
    second = Token.objects.get(user=user).key
    assert second != first

    api = client.__class__()
    old = api.get("/api/me/", HTTP_AUTHORIZATION=f"Token {first}")
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate challenge.
    assert (old.status_code, old.json()["detail"]) == (403, "Invalid token.")
    assert api.get("/api/me/", HTTP_AUTHORIZATION=f"Token {second}").status_code == 200

    client.post("/access/profile/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()


def test_language_switch_from_the_top_bar(client):
    user = make_user("dora", "director")
    sign_in(client, user)

    response = client.post(reverse("access:language"), {"language": "fr", "next": "/access/profile/"})

    assert response["Location"] == "/access/profile/"
    assert client.get("/access/profile/")["Content-Language"] == "fr"


def test_language_switch_refuses_an_outside_next(client):
    response = client.post(reverse("access:language"), {"language": "fr", "next": "https://evil.example/"})

    assert response["Location"] == "/"
