"""The answer cache's own promises (openfdp/services/answer_cache.py): LRU bound, single
flight, failures never cached, a departing request does not cancel the others' answer."""

from __future__ import annotations

import asyncio

import pytest

from openfdp.services.answer_cache import AnswerCache


def test_concurrent_identical_requests_on_a_cold_entry_compute_once() -> None:
    async def run() -> tuple[list[tuple[str, bool]], int]:
        cache = AnswerCache(8)
        gate = asyncio.Event()
        calls = 0

        async def compute() -> str:
            nonlocal calls
            calls += 1
            await gate.wait()
            return "answer"

        waiting = [asyncio.ensure_future(cache.get("k", compute)) for _ in range(10)]
        await asyncio.sleep(0)  # every request has asked before the answer exists
        gate.set()
        results = await asyncio.gather(*waiting)
        assert cache.computed == 1
        return results, calls

    results, calls = asyncio.run(run())
    assert calls == 1
    assert all(answer == "answer" for answer, _ in results)
    assert [computed for _, computed in results].count(True) == 1


def test_the_least_recently_used_answer_is_dropped_at_the_bound() -> None:
    async def run() -> list[bool]:
        cache = AnswerCache(2)

        async def get(key: str) -> bool:
            async def compute() -> str:
                return key

            answer, computed = await cache.get(key, compute)
            assert answer == key
            return computed

        seen = [await get("a"), await get("b"), await get("a"), await get("c")]
        assert len(cache) == 2
        seen += [await get("a"), await get("b")]  # "b" was the least recently used
        return seen

    assert asyncio.run(run()) == [True, True, False, True, False, True]


def test_a_failed_computation_caches_nothing_and_waiters_compute_their_own() -> None:
    async def run() -> None:
        cache = AnswerCache(8)
        gate = asyncio.Event()
        attempts = 0

        async def compute() -> str:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                await gate.wait()
                raise RuntimeError("database went away")
            return f"answer {attempts}"

        leader = asyncio.ensure_future(cache.get("k", compute))
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(cache.get("k", compute))
        await asyncio.sleep(0)
        gate.set()
        with pytest.raises(RuntimeError, match="database went away"):
            await leader
        assert await waiter == ("answer 2", True)  # its own, computed after the failure
        assert len(cache) == 0  # nothing was cached on the failure path
        assert await cache.get("k", compute) == ("answer 3", True)

    asyncio.run(run())


def test_a_cancelled_request_does_not_cancel_the_answer_others_wait_for() -> None:
    async def run() -> None:
        cache = AnswerCache(8)
        gate = asyncio.Event()

        async def compute() -> str:
            await gate.wait()
            return "answer"

        leader = asyncio.ensure_future(cache.get("k", compute))
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(cache.get("k", compute))
        await asyncio.sleep(0)
        leader.cancel()  # e.g. the request timed out or its client went away
        await asyncio.sleep(0)
        gate.set()
        assert await waiter == ("answer", False)
        assert leader.cancelled()
        assert await cache.get("k", compute) == ("answer", False)

    asyncio.run(run())


def test_size_zero_turns_the_cache_off() -> None:
    async def run() -> list[bool]:
        cache = AnswerCache(0)

        async def compute() -> int:
            return 1

        return [(await cache.get("k", compute))[1] for _ in range(3)]

    assert asyncio.run(run()) == [True, True, True]
    with pytest.raises(ValueError, match="negative"):
        AnswerCache(-1)
