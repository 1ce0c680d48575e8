"""The Celery app of test_celery.py: the test builds its producer with make_app(), and the
worker process it starts (`celery -A celery_tasks worker`) builds the same app from the
environment:

  CELERY_TEST_BROKER   broker URL (shardis or a direct redis-server)
  CELERY_TEST_BACKEND  result backend URL, or empty for none
  CELERY_TEST_OPTIONS  JSON for broker_transport_options, e.g. {"global_keyprefix": "{c}"}
  CELERY_TEST_CONF     JSON for other settings, e.g. {"worker_enable_remote_control": false}
"""
import json
import os

from celery import Celery


def make_app(broker, backend=None, options=None, conf=None):
    app = Celery("celery_tasks", broker=broker, backend=backend or None)
    app.conf.update(
        broker_transport_options=dict(options or {}),
        # Fail fast rather than retry forever: a test must end within its bounds.
        broker_connection_max_retries=1,
        redis_socket_timeout=10,
        redis_socket_connect_timeout=5,
        worker_hijack_root_logger=False,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
    )
    app.conf.update(conf or {})

    @app.task(name="celery_tasks.add")
    def add(a, b):
        return a + b

    return app


app = make_app(os.environ.get("CELERY_TEST_BROKER", "redis://127.0.0.1:6379/0"),
               os.environ.get("CELERY_TEST_BACKEND", ""),
               json.loads(os.environ.get("CELERY_TEST_OPTIONS", "{}")),
               json.loads(os.environ.get("CELERY_TEST_CONF", "{}")))
