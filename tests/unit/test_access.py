import pytest
from django.urls import reverse

PAGES = [
    "home",
    "action_list",
    "action_create",
    "handoff_list",
    "channel_list",
    "channel_create",
    "agent_list",
    "agent_create",
    "sendlog_list",
    "api_docs",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES + ["admin:index"])
def test_an_anonymous_request_to_a_page_redirects_to_login(client, admin_user, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/") or response.url.startswith("/admin/login/")
    assert "next=" in response.url


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_a_logged_in_admin_sees_each_page_with_the_navigation(client, admin_user, name):
    client.force_login(admin_user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Actions", "Handoffs", "Channels", "Agents", "Send log"):
        assert f">{label}</a>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/actions/", "/send-log/", "/admin/"])
def test_while_no_user_exists_every_page_leads_to_the_first_run_form(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == "/setup/"


@pytest.mark.django_db
def test_the_first_run_form_creates_a_superuser_and_logs_in(client, django_user_model):
    response = client.post(
        "/setup/",
        {
            "username": "ada",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 302
    assert response.url == "/"
    user = django_user_model.objects.get()
    assert user.username == "ada" and user.is_superuser and user.is_staff
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_the_first_run_form_refuses_a_weak_or_mismatched_password(client, django_user_model):
    response = client.post("/setup/", {"username": "ada", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    response = client.post(
        "/setup/",
        {"username": "ada", "password1": "a-long-unusual-pass-42", "password2": "other-x"},
    )
    assert "The two password fields didn" in response.content.decode()
    assert not django_user_model.objects.exists()


@pytest.mark.django_db
def test_the_first_run_page_is_gone_once_a_user_exists(client, admin_user):
    # A visit (a bookmark, a second tab) goes to the login, or home once logged in.
    response = client.get("/setup/")
    assert (response.status_code, response.url) == (302, "/login/")
    client.force_login(admin_user)
    assert client.get("/setup/").url == "/"
    client.logout()
    response = client.post(
        "/setup/",
        {
            "username": "eve",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 404
    assert not type(admin_user).objects.filter(username="eve").exists()


@pytest.mark.django_db
def test_machine_paths_never_redirect_to_the_first_run_form(client):
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
def test_pages_are_served_under_a_strict_content_security_policy(client, admin_user):
    client.force_login(admin_user)
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
