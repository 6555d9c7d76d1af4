"""Background jobs: one replica at a time, failures retried at the next interval."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from isoloir import db, service
from isoloir.testing.waiting import eventually


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[Any, Any]]:
    """Two engines on one database: what two replicas of a service hold."""
    first, second = db.create_engine(database_url), db.create_engine(database_url)
    yield first, second
    await first.dispose()
    await second.dispose()


class TestExclusive:
    async def test_only_one_replica_holds_a_named_lock_at_a_time(self, engines: Any) -> None:
        first, second = engines

        async with (
            db.exclusive(first, name="job") as mine,
            db.exclusive(second, name="job") as theirs,
        ):
            assert mine is True
            assert theirs is False
        async with db.exclusive(second, name="job") as after_release:
            assert after_release is True

    async def test_locks_of_other_names_do_not_collide(self, engines: Any) -> None:
        first, second = engines

        async with db.exclusive(first, name="purge"), db.exclusive(second, name="upkeep") as other:
            assert other is True

    async def test_sqlite_serves_one_process_and_always_runs(self, tmp_path: Path) -> None:
        engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        try:
            async with db.exclusive(engine, name="job") as mine:
                assert mine is True
        finally:
            await engine.dispose()


def _kernel(engine: Any) -> Any:
    return SimpleNamespace(engine=engine, settings=SimpleNamespace(interval=0.05))


class TestPeriodic:
    async def test_a_job_runs_again_after_a_failing_round(self, engines: Any) -> None:
        rounds: list[int] = []

        async def job(kernel: Any) -> None:
            rounds.append(len(rounds))
            if len(rounds) == 1:
                raise RuntimeError("the first round fails")

        hook = service.periodic("flaky", every=lambda s: s.interval, job=job)
        async with hook(_kernel(engines[0])):
            await eventually(lambda: _async(len(rounds) >= 3), timeout=5)

    async def test_two_replicas_never_run_the_job_at_the_same_time(self, engines: Any) -> None:
        running = 0
        overlaps = 0
        runs = 0

        async def job(kernel: Any) -> None:
            nonlocal running, overlaps, runs
            running += 1
            overlaps += running > 1
            await asyncio.sleep(0.1)
            runs += 1
            running -= 1

        hook = service.periodic("exclusive-job", every=lambda s: s.interval, job=job)
        async with hook(_kernel(engines[0])), hook(_kernel(engines[1])):
            await eventually(lambda: _async(runs >= 6), timeout=10)

        assert overlaps == 0


async def _async(value: bool) -> bool:
    return value
