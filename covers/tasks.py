"""Celery tasks for cover requests: each takes a primary key and calls a plain function in services.py."""

from celery import shared_task


@shared_task(bind=True, acks_late=True)
def apply_cover(self, cover_request_id: int) -> str:
    raise NotImplementedError


@shared_task
def expire() -> int:
    raise NotImplementedError
