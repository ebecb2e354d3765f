"""The embedded default's Celery beat: run ``CELERY_BEAT_SCHEDULE`` in this process, no broker needed.

``make run`` starts it beside ``runserver``. Each entry's task is looked up by name in the Celery app
(so ``core`` imports no app) and called in-process on the entry's own schedule (an interval or a crontab,
as Celery beat would). Interval jobs run once at start, then every interval; crontab jobs run at their
times. ``SCHEDULER_INTERVAL_SECONDS`` (or ``--interval``) makes every job run at that interval instead —
tests and a hand-run demo use it. A job that raises is logged with its traceback and the loop goes on.
"""
import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger("payjaro.scheduler")


@dataclass
class Job:
    name: str
    task_name: str
    schedule: object  # a celery.schedules.schedule / crontab
    args: tuple
    kwargs: dict
    last_run_at: datetime | None = None


def build_jobs(beat_schedule: dict, *, interval_seconds: float = 0) -> list[Job]:
    """One Job per beat entry; ``interval_seconds`` > 0 replaces every entry's schedule with that interval."""
    jobs = []
    for name, entry in beat_schedule.items():
        when = entry["schedule"]
        if interval_seconds > 0:
            when = interval_schedule(timedelta(seconds=interval_seconds), app=current_app)
        elif isinstance(when, (int, float, timedelta)):
            when = interval_schedule(when if isinstance(when, timedelta) else timedelta(seconds=when), app=current_app)
        jobs.append(Job(name=name, task_name=entry["task"], schedule=when,
                        args=tuple(entry.get("args", ())), kwargs=dict(entry.get("kwargs", {}))))
    return jobs


def run_job(job: Job) -> bool:
    """Call the job's task in this process. Returns False (after logging the traceback) when it raised."""
    started = time.monotonic()
    job.last_run_at = timezone.now()
    try:
        task = current_app.tasks[job.task_name]
        result = task(*job.args, **job.kwargs)
    except Exception:
        logger.exception("scheduler: %s (%s) failed after %.2fs", job.name, job.task_name, time.monotonic() - started)
        return False
    finally:
        close_old_connections()
    elapsed = time.monotonic() - started
    # A quick run that found nothing to do (a flush every 2 s of an empty outbox) is a DEBUG line, not console noise.
    level = logging.INFO if result or elapsed >= 1 else logging.DEBUG
    logger.log(level, "scheduler: %s (%s) ran in %.2fs → %r", job.name, job.task_name, elapsed, result)
    return True


class Command(BaseCommand):
    help = ("Run the periodic jobs of CELERY_BEAT_SCHEDULE in-process (the embedded default's beat; "
            "no Redis). Stops on Ctrl-C / SIGTERM.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None,
                            help="Run every job every N seconds (default: SCHEDULER_INTERVAL_SECONDS, "
                                 "else each job's own schedule).")
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")
        parser.add_argument("--only", action="append", default=[], metavar="NAME",
                            help="Only this beat entry (repeatable).")

    def handle(self, *args, interval=None, once=False, only=(), **options):
        autodiscover_modules("tasks")  # every app's tasks module registers its Celery tasks
        beat = dict(settings.CELERY_BEAT_SCHEDULE)
        unknown = [name for name in only if name not in beat]
        if unknown:
            raise CommandError(f"Unknown schedule entries {unknown}; known: {sorted(beat)}")
        if only:
            beat = {name: entry for name, entry in beat.items() if name in only}
        missing = sorted({entry["task"] for entry in beat.values()} - set(current_app.tasks))
        if missing:
            raise CommandError(f"CELERY_BEAT_SCHEDULE names tasks that do not exist: {missing}")
        if interval is None:
            interval = float(getattr(settings, "SCHEDULER_INTERVAL_SECONDS", 0) or 0)
        jobs = build_jobs(beat, interval_seconds=interval)

        if once:
            failures = sum(not run_job(job) for job in jobs)
            if failures:
                raise CommandError(f"{failures} of {len(jobs)} job(s) failed (see the log).")
            return

        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        logger.info("scheduler: started with %d job(s): %s", len(jobs),
                    ", ".join(f"{job.name} ({job.schedule!r})" for job in jobs))
        try:
            for job in jobs:  # interval jobs run at start; a crontab job waits for its time
                if isinstance(job.schedule, interval_schedule):
                    run_job(job)
                else:
                    job.last_run_at = timezone.now()
                if stopping:
                    break
            while not stopping:
                wait = 60.0
                for job in jobs:
                    due, next_check = job.schedule.is_due(job.last_run_at)
                    if due:
                        run_job(job)
                        due, next_check = job.schedule.is_due(job.last_run_at)
                    wait = min(wait, max(next_check, 0.05))
                    if stopping:
                        break
                self._sleep(wait, stopping)
        except KeyboardInterrupt:
            pass
        logger.info("scheduler: stopped")

    @staticmethod
    def _sleep(seconds: float, stopping: list) -> None:
        deadline = time.monotonic() + seconds
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.25, max(deadline - time.monotonic(), 0)))
