"""The Celery application a worker runs: ``python -m celery -A infra.cluster.celery_worker worker -Q dagster``.

dagster-celery's own ``dagster_celery.app`` reads its broker from a config module; this one takes
it from ``OBSERVATOIRE_CELERY_BROKER_URL`` like the executor (infra/cluster/celery_executor.py),
with the same task names, queue and settings, so a worker and a run agree by construction.
"""

from __future__ import annotations

from dagster_celery.config import DEFAULT_CONFIG, dict_wrapper
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from infra.cluster.celery_executor import broker_url

_URL = broker_url()
app = make_app({"broker": _URL, "backend": _URL, "config_source": dict_wrapper({**DEFAULT_CONFIG, "task_acks_late": True})})
execute_plan = create_task(app)
