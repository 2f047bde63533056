"""500 play/stop cycles leak no threads, file handles or memory."""

from __future__ import annotations

import gc
import threading

from kiosk.media import Player, PlayerState
from kiosk.ops.memory import rss_kb
from testkit.media import ClipFactory, open_fds, segment
from testkit.waits import wait_for


def test_500_play_stop_cycles_leak_nothing(clips: ClipFactory) -> None:
    path = clips("cycle.mp4", size=(96, 64), duration=0.5)
    whole, cut = segment(path), segment(path, 0.2, 0.4, id="cut")
    threads_before = threading.active_count()
    player = Player((96, 64), audio="null")

    def cycle(i: int) -> None:
        seg = cut if i % 2 else whole
        if i % 5 == 0:
            player.preload(seg)
        if i % 50 == 7:
            player.play_playlist([whole, cut], loop=True)
        else:
            player.play(seg, loop=i % 3 == 0)
        if i % 4 == 0:  # let a quarter of them really open, decode and show
            assert wait_for(lambda: player.latest_frame() is not None, poll=0.002)
        else:
            player.latest_frame()
        if i % 10 == 0:
            player.pause()
            player.seek_to_start()
        player.stop()

    for i in range(50):  # warm up: caches, arenas, the first thread-pool allocations
        cycle(i)
    assert player.wait_idle(10)
    gc.collect()
    threads, fds, rss = threading.active_count(), open_fds(), rss_kb() * 1024
    for i in range(50, 500):
        cycle(i)
    assert player.wait_idle(10)
    gc.collect()
    assert player.state is PlayerState.IDLE
    assert player.faults.total() == 0
    # preloaded sources keep their threads until used or closed: at most the cache's slots
    assert threading.active_count() <= threads + 2 * player.preload_slots
    assert threading.active_count() >= threads - 2 * player.preload_slots
    assert open_fds() <= fds + 2 * player.preload_slots
    grown = rss_kb() * 1024 - rss
    print(
        f"after 450 cycles: threads {threading.active_count() - threads:+d}, "
        f"fds {open_fds() - fds:+d}, rss {grown / 2**20:+.1f} MiB"
    )
    assert grown < 25 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB"
    player.close()
    assert threading.active_count() == threads_before
    assert open_fds() <= fds
