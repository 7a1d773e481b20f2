"""Row blocks with fixed boundaries, processed by a shared pool of threads.

Every kernel walks its array in blocks of rows of about ``BLOCK_BYTES`` (they fit
in a core's cache), so temporaries never exceed a few blocks. The boundaries
depend only on the array's shape, and per-block results come back in block
order, so results are bit-identical whatever the number of threads. numpy
releases the GIL inside its loops, so the threads run in parallel.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._config import available_cores, get_config

BLOCK_BYTES = 1 << 21
# Column reductions view a C-contiguous block's rows a few at a time as one row
# of about this many elements (see skscale._stats); blocks hold a whole number
# of such groups.
ROW_ELEMENTS = 1024

_pool = None
_pool_lock = threading.Lock()
_local = threading.local()


def block_rows(n_columns):
    """Rows in one block (computed as if float64, whatever the dtype)."""
    rows = max(1, BLOCK_BYTES // (8 * max(1, n_columns)))
    group = max(1, ROW_ELEMENTS // max(1, n_columns))
    return max(group, rows - rows % group)


def row_blocks(n_rows, n_columns):
    """The fixed row slices of an ``n_rows x n_columns`` array."""
    step = block_rows(n_columns)
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def _get_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(2, available_cores()), thread_name_prefix="skscale"
            )
        return _pool


def map_blocks(function, blocks):
    """``[function(block) for block in blocks]``, in parallel threads if worth it.

    Each thread takes a contiguous run of blocks; results keep the block order.
    """
    n_threads = min(get_config()["n_threads"], len(blocks))
    if n_threads <= 1 or getattr(_local, "in_pool", False):
        # One thread, or already inside a pool task (a nested map would wait
        # for workers that are all busy waiting): run here, in order.
        return [function(block) for block in blocks]
    bounds = [len(blocks) * k // n_threads for k in range(n_threads + 1)]
    runs = [blocks[bounds[k] : bounds[k + 1]] for k in range(n_threads)]
    futures = [_get_pool().submit(_run, function, run) for run in runs[1:]]
    results = _run(function, runs[0])
    for future in futures:
        results.extend(future.result())
    return results


def _run(function, blocks):
    outer = getattr(_local, "in_pool", False)
    _local.in_pool = True
    try:
        return [function(block) for block in blocks]
    finally:
        _local.in_pool = outer


def scratch(name, shape, dtype=None):
    """A per-thread scratch array of ``shape``, reused from call to call.

    Kernels write their block-sized temporaries here rather than allocating (and
    page-faulting) a fresh block each time.
    """
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    size = int(np.prod(shape))
    buffers = _local.__dict__.setdefault("buffers", {})
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        buffer = buffers[(name, dtype)] = np.empty(size, dtype=dtype)
    return buffer[:size].reshape(shape)


def transform_blocks(X, out, function, *, check_infinite=True, elementwise=True):
    """Write ``function`` of each row block of X into the same rows of ``out``.

    ``function(src, dst, cols)`` reads a block of X (any float dtype) and writes
    float64 values into ``dst``; for a float64 ``out`` that is the output block
    itself (``src`` when transforming in place), otherwise a per-thread float64
    scratch block that is then cast into ``out``, so half and single precision
    are computed in float64 without a full-size float64 copy.

    An ``elementwise`` function (each value depends on its column only) gets
    C-contiguous blocks viewed ``k`` rows at a time as rows of ``k * p`` values,
    where numpy's loops run faster, and ``cols`` repeats a per-column vector to
    that length; otherwise ``cols`` returns its argument.

    Returns a boolean mask of the columns of X holding an infinite value,
    detected in the same pass (a column sum over the cached block), when
    ``check_infinite``.
    """
    n_rows, n_columns = X.shape
    direct = out.dtype == np.float64
    k = ROW_ELEMENTS // max(n_columns, 1)
    widen = elementwise and k > 1 and X.flags.c_contiguous and out.flags.c_contiguous

    def same(vector):
        return vector

    def tiled(vector):
        return np.tile(vector, k)

    def work(rows):
        src, dst, cols = X[rows], out[rows], same
        if widen and src.shape[0] % k == 0:
            src = src.reshape(-1, k * n_columns)
            dst = dst.reshape(-1, k * n_columns)
            cols = tiled
        infinite = None
        with np.errstate(all="ignore"):
            # A sum in the block's own dtype: no cast. An overflow of finite
            # values only sends the block to the exact test.
            if check_infinite and not np.isfinite(np.sum(src)):
                infinite = np.isinf(X[rows]).any(axis=0)
            if direct:
                function(src, dst, cols)
            else:
                wide = scratch("transform", src.shape)
                function(src, wide, cols)
                dst[...] = wide
        return infinite

    found = np.zeros(n_columns, dtype=bool)
    for infinite in map_blocks(work, row_blocks(n_rows, n_columns)):
        if infinite is not None:
            found |= infinite
    return found
