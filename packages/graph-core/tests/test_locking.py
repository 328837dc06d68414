"""The reader-writer lock behind atomic calls: exclusive writers, shared readers, no starvation either way,
and locks taken in one order whatever order a call lists them in."""

from __future__ import annotations

import threading
import time

from arignote_core.locking import ReadWriteLock, SharedAccess


def test_readers_share_and_writers_exclude():
    lock = ReadWriteLock()
    lock.acquire_read()
    lock.acquire_read()  # a second reader does not wait
    entered = threading.Event()

    def write():
        lock.acquire_write()
        entered.set()
        lock.release_write()

    writer = threading.Thread(target=write)
    writer.start()
    assert not entered.wait(0.2)
    lock.release_read()
    assert not entered.wait(0.1)
    lock.release_read()
    assert entered.wait(5)
    writer.join()


def test_a_reader_gets_in_between_writers_that_never_stop():
    lock = ReadWriteLock()
    stop = threading.Event()

    def keep_writing():
        while not stop.is_set():
            lock.acquire_write()
            time.sleep(0.001)
            lock.release_write()

    writers = [threading.Thread(target=keep_writing) for _ in range(2)]
    for w in writers:
        w.start()
    start = time.perf_counter()
    for _ in range(20):
        lock.acquire_read()
        lock.release_read()
    waited = time.perf_counter() - start
    stop.set()
    for w in writers:
        w.join()
    assert waited < 5


def test_locks_are_taken_in_one_global_order():
    first, second = ReadWriteLock(), ReadWriteLock()
    one, other = SharedAccess(reads=[], writes=[first, second]), SharedAccess(reads=[], writes=[second, first])
    done = []

    def run(access):
        for _ in range(200):
            with access:
                pass
        done.append(access)

    threads = [threading.Thread(target=run, args=(a,)) for a in (one, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(done) == 2  # opposite listing orders, no deadlock
