"""The garbage collector's settings for the processes that hold many objects at once: the
server's workers and an import's."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A full collection once per this many collections of the middle generation (Python's
# default is 10).
_FULL_EVERY = 1000


def settle() -> None:
    """Stop the collector rescanning what exists now, and make its full collections rare.

    Freezing moves every object alive now (modules, the app, the gazetteer) out of the
    collector's reach: left in its oldest generation, they made every full collection a
    pause of tens of milliseconds. A full collection still rescans every object created
    since, and a batch of events holds hundreds of thousands of them: with Python's default
    thresholds, preparing an import's chunk ran several, a quarter of its time
    (docs/performance-log.md). Cycles are still collected with the young generations.
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _FULL_EVERY)


@contextmanager
def paused() -> Iterator[None]:
    """No collection while the block runs. Preparing an import's chunk makes hundreds of
    thousands of objects that live until its file is written, each scanned by the young
    collections it survives; paused, a worker spent less CPU on a chunk (its section in
    docs/performance-log.md). The block must free them itself, by reference counting: left
    alive, they were all scanned by the first collection after it, which cost more than
    the pause saved. Any cycles among them go at the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
