"""Abuse limits: requests per API key, wrong keys per address, failed logins.

The API's limits count in the suite's Redis (each test under a key of its own, or a fresh
agent and key); the login lockout counts in the test database.
"""

import logging
import time
import uuid
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse

from actions import configfile
from actions.api.openapi import document
from actions.common import limits
from actions.models import Agent, ApiKey

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def agent():
    return Agent.objects.create(name="booking_bot")


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def ping(client, key="", address="127.0.0.1"):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get("/api/v1/ping", headers=headers, REMOTE_ADDR=address)


def statuses(client, key, count, address="127.0.0.1"):
    return [ping(client, key, address).status_code for _ in range(count)]


# --- The mechanism ---------------------------------------------------------------------------


def test_a_moving_window_allows_its_amount_then_says_how_long_to_wait():
    client = uuid.uuid4().hex
    rate = limits.Rate(2, 30)
    assert [limits.take("test", client, rate) for _ in range(2)] == [0, 0]
    wait = limits.take("test", client, rate)
    assert 29 <= wait <= 30
    assert limits.waiting("test", client, rate) == wait


def test_a_refused_event_is_not_counted_and_the_window_moves_on():
    client = uuid.uuid4().hex
    rate = limits.Rate(1, 1)
    assert limits.take("test", client, rate) == 0
    assert limits.take("test", client, rate) == 1
    time.sleep(1.05)
    assert limits.take("test", client, rate) == 0


def test_waiting_counts_nothing():
    client = uuid.uuid4().hex
    rate = limits.Rate(1, 60)
    assert [limits.waiting("test", client, rate) for _ in range(3)] == [0, 0, 0]
    assert limits.take("test", client, rate) == 0


def test_clients_and_scopes_are_counted_apart():
    client, other = uuid.uuid4().hex, uuid.uuid4().hex
    rate = limits.Rate(1, 60)
    assert limits.take("test", client, rate) == 0
    assert limits.take("test", other, rate) == 0
    assert limits.take("other-test", client, rate) == 0
    assert limits.take("test", client, rate) > 0


def test_take_all_counts_every_check_or_none():
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    roomy, tight = limits.Rate(5, 60), limits.Rate(1, 60)
    checks = [("test", first, roomy), ("test", second, tight)]
    assert limits.take_all(checks) is None  # both counted
    assert limits.waiting("test", second, tight) > 0
    assert limits.take_all(checks) == 1  # the second is full: the first is not counted either
    # The first holds one count only: four more fit in its five.
    assert [limits.take("test", first, roomy) for _ in range(4)] == [0, 0, 0, 0]
    assert limits.take("test", first, roomy) > 0


def test_take_all_shares_its_counts_with_take_and_give_back():
    client = uuid.uuid4().hex
    rate = limits.Rate(2, 60)
    assert limits.take("test", client, rate) == 0
    assert limits.take_all([("test", client, rate)]) is None
    assert limits.take_all([("test", client, rate)]) == 0  # full: two in the window
    assert limits.take("test", client, rate) > 0
    limits.give_back("test", client, rate)
    assert limits.take_all([("test", client, rate)]) is None


def test_take_all_after_redis_lost_its_scripts_loads_them_again(settings):
    import redis

    redis.Redis.from_url(settings.REDIS_URL).script_flush()
    assert limits.take_all([("test", uuid.uuid4().hex, limits.Rate(1, 60))]) is None


def test_without_redis_limits_are_skipped_with_a_warning_that_names_no_secret(
    settings, monkeypatch, caplog
):
    monkeypatch.setattr(limits, "_down_until", 0.0)  # restored after the test
    settings.REDIS_URL = "redis://:hunter2-secret@127.0.0.1:1/0"  # nothing listens there
    rate = limits.Rate(1, 60)
    with caplog.at_level(logging.WARNING, logger="actions.common.limits"):
        assert [limits.take("test", "someone", rate) for _ in range(3)] == [0, 0, 0]
    assert "Rate limits skipped" in caplog.text
    assert "hunter2" not in caplog.text
    assert len(caplog.records) == 1  # then Redis is left alone for a while


def test_without_redis_the_api_still_answers(client, key, settings, monkeypatch):
    monkeypatch.setattr(limits, "_down_until", 0.0)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.API_REQUESTS_PER_MINUTE = 1
    assert statuses(client, key, 3) == [200, 200, 200]


@pytest.mark.parametrize(
    ("remote_addr", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("2001:db8:1:2::1", "2001:db8:1:2::"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_a_client_is_counted_by_its_address_and_an_ipv6_one_by_its_64(remote_addr, counted_as):
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    assert limits.client_address(request) == counted_as


def test_a_forwarded_header_does_not_change_the_address():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", headers={"X-Forwarded-For": "198.51.100.1"}
    )
    assert limits.client_address(request) == "10.0.0.1"


# --- Requests per API key --------------------------------------------------------------------


def test_a_key_past_the_default_limit_is_429_rate_limited_with_retry_after(client, key, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    assert statuses(client, key, 3) == [200, 200, 200]
    response = ping(client, key)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert "3 requests a minute" in error["message"]
    assert "wait" in error["say"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert f"{retry_after} s" in error["message"]


def test_every_key_authenticated_endpoint_counts_against_the_key(client, key, settings):
    settings.API_REQUESTS_PER_MINUTE = 2
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/tools", headers=auth).status_code == 200
    response = client.post(
        "/api/v1/actions/nothing/invoke", "{}", content_type="application/json", headers=auth
    )
    assert response.status_code == 404
    response = client.post(
        "/api/v1/handoffs/nothing/invoke", "{}", content_type="application/json", headers=auth
    )
    assert response.status_code == 429
    assert client.get("/api/v1/openapi.json").status_code == 200  # no key, no limit


def test_an_agents_own_limit_overrides_the_default(client, agent, key, settings):
    settings.API_REQUESTS_PER_MINUTE = 100
    agent.requests_per_minute = 2
    agent.save()
    assert statuses(client, key, 3) == [200, 200, 429]
    assert "2 requests a minute" in ping(client, key).json()["error"]["message"]


def test_an_agent_limit_above_the_default_raises_it(client, agent, key, settings):
    settings.API_REQUESTS_PER_MINUTE = 1
    agent.requests_per_minute = 3
    agent.save()
    assert statuses(client, key, 4) == [200, 200, 200, 429]


def test_each_key_has_its_own_count(client, agent, key, settings):
    settings.API_REQUESTS_PER_MINUTE = 1
    other = ApiKey.issue(agent, "live")[1]
    assert statuses(client, key, 2) == [200, 429]
    assert statuses(client, other, 2) == [200, 429]


# --- Wrong or missing keys per address -------------------------------------------------------


def test_an_address_past_its_wrong_keys_is_429_even_with_a_right_key_and_no_lookup(
    client, key, settings, django_assert_num_queries
):
    settings.API_FAILED_KEYS_PER_MINUTE = 3
    address = "198.51.100.1"
    wrong = ["sb_sandbox_wrong", "", "sb_sandbox_also_wrong"]
    assert [ping(client, k, address).status_code for k in wrong] == [401, 401, 401]
    with django_assert_num_queries(0):  # refused before the key is looked up
        response = ping(client, key, address)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "wrong or missing API key" in response.json()["error"]["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_wrong_keys_from_one_address_do_not_block_another(client, key, settings):
    settings.API_FAILED_KEYS_PER_MINUTE = 1
    blocked, other = "198.51.100.2", "192.0.2.2"
    assert statuses(client, "sb_sandbox_wrong", 2, blocked) == [401, 429]
    assert ping(client, key, other).status_code == 200


def test_a_revoked_key_counts_as_a_wrong_key(client, agent, key, settings):
    settings.API_FAILED_KEYS_PER_MINUTE = 1
    address = "198.51.100.3"
    ApiKey.objects.get(agent=agent).revoke()
    assert statuses(client, key, 2, address) == [401, 429]


def test_right_keys_are_not_counted_as_failures(client, key, settings):
    settings.API_FAILED_KEYS_PER_MINUTE = 1
    address = "198.51.100.4"
    assert statuses(client, key, 3, address) == [200, 200, 200]


# --- Where the limits show -------------------------------------------------------------------


def test_the_openapi_document_advertises_429_with_retry_after_on_every_key_path():
    paths = document()["paths"]
    for path, operations in paths.items():
        if path == "/api/v1/openapi.json":
            continue
        for operation in operations.values():
            answer = operation["responses"]["429"]
            assert "Retry-After" in answer["headers"], path


def test_the_agent_page_shows_the_default_limit_and_an_agents_own(
    client, admin_user, agent, settings
):
    settings.API_REQUESTS_PER_MINUTE = 120
    client.force_login(admin_user)
    url = reverse("agent_edit", args=[agent.pk])
    page = client.get(url).text
    assert "Limits: 120 requests a minute (the default)" in " ".join(page.split())
    client.post(url, {"name": agent.name, "requests_per_minute": "30"})
    agent.refresh_from_db()
    assert agent.requests_per_minute == 30
    page = " ".join(client.get(url).text.split())
    assert "Limits: 30 requests a minute, for each key" in page


def test_requests_refused_by_the_key_limit_show_on_the_agent_page_and_the_send_log(
    client, admin_user, agent, key, settings
):
    # The refusals are counted by agent pk, which repeats between tests on SQLite.
    settings.RATE_LIMIT_PREFIX = f"test-refusals-{uuid.uuid4().hex[:12]}"
    settings.API_REQUESTS_PER_MINUTE = 1
    assert statuses(client, key, 4) == [200, 429, 429, 429]
    client.force_login(admin_user)
    page = " ".join(client.get(reverse("agent_edit", args=[agent.pk])).text.split())
    assert (
        "Refused today by these limits: 3 requests over the limit a minute, 0 texts to one "
        "number, 0 in one conversation." in page
    )
    log = client.get(reverse("sendlog_list")).text
    refusals = " ".join(log.split('id="limit-refusals"')[1].split("</div>")[0].split())
    assert "booking_bot</a>: 3 requests past its limit a minute</li>" in refusals


def test_the_agent_page_refuses_a_limit_of_zero(client, admin_user, agent):
    client.force_login(admin_user)
    url = reverse("agent_edit", args=[agent.pk])
    response = client.post(url, {"name": agent.name, "requests_per_minute": "0"})
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.text
    agent.refresh_from_db()
    assert agent.requests_per_minute is None


# --- Logins ----------------------------------------------------------------------------------


def log_in(client, password, username="admin", address="127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_the_username_out_at_that_address(client, admin_user):
    answers = [log_in(client, "wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    locked = log_in(client, PASSWORD)  # even the right password, now
    assert locked.status_code == 429
    text = " ".join(locked.text.split())
    assert "Too many failed logins for this username from your address: try again in 15 min." in (
        text
    )
    assert 'name="username"' in text and 'value="admin"' in text  # the login page, filled in
    assert locked.headers["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session


def test_a_lockout_holds_only_that_username_at_that_address(client, admin_user, user_in_role):
    user_in_role("Reviewer", username="reviewer")
    for _ in range(5):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD, username="reviewer").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, address="192.0.2.9").status_code == 302


def test_a_successful_login_forgets_the_failures_before_it(client, admin_user):
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    assert [log_in(client, "wrong").status_code for _ in range(4)] == [200] * 4


def test_the_failure_limit_and_the_cool_off_come_from_settings(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    answers = [log_in(client, "wrong") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert "try again in 2 min." in answers[1].text
    assert answers[1].headers["Retry-After"] == "120"


def test_importing_the_configuration_over_an_agent_keeps_its_own_limit(agent):
    agent.requests_per_minute = 30
    agent.save()
    configfile.apply(configfile.load("agents:\n  - {name: booking_bot, description: Books}\n"))
    agent.refresh_from_db()
    assert agent.description == "Books"
    assert agent.requests_per_minute == 30
