import pytest

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_healthz_is_503_naming_the_worker_when_none_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"].startswith("error: no worker answered")


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"].startswith("error:")
    assert body["worker"].startswith("error:")
    assert body["database"] == "ok"


def test_healthz_needs_no_login_and_shows_no_secrets(client, db, settings):
    response = client.get("/healthz")
    text = response.content.decode()
    assert response.status_code in (200, 503)
    assert settings.SECRET_KEY not in text
    assert settings.REDIS_URL not in text
