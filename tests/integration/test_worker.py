import pytest

from actions.ops.tasks import echo

pytestmark = pytest.mark.integration


def test_a_task_makes_a_round_trip_through_a_real_worker(celery_worker):
    result = echo.delay({"hello": "worker", "n": 3})
    assert result.get(timeout=20) == {"hello": "worker", "n": 3}
    assert "actions.echo" in celery_worker.output()


@pytest.mark.django_db
def test_healthz_is_ok_while_a_worker_runs(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}
