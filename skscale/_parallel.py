"""Row blocks with fixed boundaries, processed by a shared pool of threads.

Every kernel walks its array in blocks of rows of about ``BLOCK_BYTES``: a block
and its scratch copy stay in the shared last-level cache while a thread makes
its few passes over them, and temporaries never exceed a few blocks per thread
(kept from call to call: see :func:`scratch`). Smaller blocks, fitting a core's
own cache, lose more to numpy's per-call overhead, paid under the GIL, than
they gain. The boundaries depend only on the array's shape, and per-block
results come back in block order, so results are bit-identical whatever the
number of threads. numpy releases the GIL inside its loops, so the threads run
in parallel.
"""

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._config import available_cores, get_config

BLOCK_BYTES = 1 << 22
# Column reductions view a C-contiguous block's rows a few at a time as one row
# of about this many elements (see skscale._stats): its running results stay in
# the first-level cache.
ROW_ELEMENTS = 1024
# Elementwise operations with one value per column (x - center, x / scale) view
# rows in longer groups still: numpy's broadcasting loops pay per row, and run at
# the speed of a plain copy only on rows of several thousand values.
WIDE_ELEMENTS = 8 * ROW_ELEMENTS

_pool = None
_pool_lock = threading.Lock()
_local = threading.local()


def _forget_pool_in_child():
    """Give a forked child a pool of its own.

    A child of ``os.fork()`` inherits the parent's pool object but none of its
    threads: a task submitted to it would wait forever. The child starts with
    no pool (made anew on first use), a fresh lock (the parent's may have been
    held by another thread at the fork) and fresh per-thread state.
    """
    global _pool, _pool_lock, _local
    _pool = None
    _pool_lock = threading.Lock()
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_pool_in_child)


def row_group(n_columns, elements=ROW_ELEMENTS):
    """How many rows of a C-contiguous array to view as one row of ``elements``.

    The group for :data:`WIDE_ELEMENTS` is a whole number of groups for
    :data:`ROW_ELEMENTS`, so that a widened block can be reduced as well.
    """
    p = max(1, n_columns)
    small = max(1, ROW_ELEMENTS // p)
    if elements <= ROW_ELEMENTS:
        return small
    return small * max(1, elements // (small * p))


def widening(n_rows, n_columns):
    """Rows per widened row for an elementwise operation on a C-contiguous block.

    1 (no widening) below four widened rows: there, tiling the per-column
    vectors costs more than the long rows save.
    """
    k = row_group(n_columns, WIDE_ELEMENTS)
    return k if n_rows >= 4 * k else 1


def tile_row(vector, k):
    """``vector`` repeated ``k`` times, as one row (faster than ``np.tile``)."""
    tiled = np.empty((k, vector.shape[0]), dtype=vector.dtype)
    tiled[...] = vector
    return tiled.reshape(-1)


def block_rows(n_columns):
    """Rows in one block (computed as if float64, whatever the dtype).

    A whole number of widened row groups, so that every block but the last is
    processed on long rows.
    """
    rows = max(1, BLOCK_BYTES // (8 * max(1, n_columns)))
    group = row_group(n_columns, WIDE_ELEMENTS)
    return max(group, rows - rows % group)


def column_major(X):
    """Whether X's columns are its contiguous axis.

    So are a Fortran-ordered array (a pandas or polars frame's values), its
    row blocks, and a small block's column-major copy: the temporaries of such
    blocks are made column-major too, so that numpy runs down each column
    rather than across strided rows.
    """
    return X.ndim == 2 and X.shape[1] > 1 and 0 < X.strides[0] < X.strides[1]


# A column-major array is read in tiles of this many columns: each tile's row
# blocks are then tall, a few long contiguous runs rather than one short run
# per column, which the memory's prefetchers stream at full speed.
TILE_COLUMNS = 8


def column_groups(X):
    """The column slices read apart: one (all) unless X is column-major and wide.

    Fixed by the shape and layout alone, so results do not depend on threads.
    """
    p = X.shape[1]
    if p <= TILE_COLUMNS or not column_major(X):
        return [slice(0, p)]
    return [slice(j, min(j + TILE_COLUMNS, p)) for j in range(0, p, TILE_COLUMNS)]


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
    # A single block (a small array) needs none of the machinery below.
    n_threads = 1 if len(blocks) <= 1 else min(get_config()["n_threads"], len(blocks))
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


def scratch(name, shape, dtype=None, order="C"):
    """A per-thread scratch array of ``shape``, reused from call to call.

    Kernels write their block-sized temporaries here rather than allocating (and
    page-faulting) a fresh block each time. ``order="F"`` gives a column-major
    one.
    """
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    size = math.prod(shape)
    buffers = _local.__dict__.setdefault("buffers", {})
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        buffer = buffers[(name, dtype)] = np.empty(size, dtype=dtype)
    if order == "F":
        return buffer[:size].reshape(shape[::-1]).T
    return buffer[:size].reshape(shape)


def transform_blocks(
    X, out, function, *, check_infinite=True, elementwise=True, fused=None, narrow=False
):
    """Write ``function`` of each row block of X into the same rows of ``out``.

    X is a 2-D array, or a list of 1-D arrays, its columns (a polars frame's,
    each in a buffer of its own), which an elementwise function takes one at a
    time and any other a block of rows at a time, gathered into a scratch
    block (:func:`gathered`), or, for a ``fused`` row kernel, as the list of
    the columns' parts.

    ``function(src, dst, cols)`` reads a block and writes float64 values into
    ``dst`` (which may be ``src`` itself). For a float64 ``out``, ``src`` is the
    block of X and ``dst`` the block of ``out`` (the same one when transforming
    in place); otherwise the block is cast once into a per-thread float64
    scratch block, transformed there in place and cast into ``out``, so half and
    single precision are computed in float64 without a full-size float64 copy.
    A ``narrow`` function takes float32 blocks as they are, and writes a
    float32 ``dst`` itself (computing in float64 as it needs).

    An ``elementwise`` function (each value depends on its column only) gets
    C-contiguous blocks of at least four groups viewed ``k`` rows at a time as
    rows of ``k * p`` values (about :data:`WIDE_ELEMENTS`), where numpy's loops
    run as fast as a copy, and ``cols`` repeats a per-column vector to that
    length; rows past the last whole group, and every block otherwise, are
    passed as they are, with ``cols`` returning its argument.

    ``fused(src, dst, cols) -> bool``, where given, is ``function`` as one
    pass that reads any block of X and writes the block of ``out`` in their
    own dtypes (no float64 scratch block) and tells whether every value it
    read was finite: the infinity check rides on it.

    Returns a boolean mask of the columns of X holding an infinite value,
    detected in the same pass (a sum over the cached block), when
    ``check_infinite``; ``check_infinite="output"`` says that ``function``'s
    output is infinite or NaN wherever its input is infinite, so that the
    block it wrote can be summed instead.
    """
    n_rows, n_columns = out.shape
    by_column = isinstance(X, list)
    k = widening(n_rows, n_columns)
    widen = (
        elementwise
        and k > 1
        and not by_column
        and X.flags.c_contiguous
        and out.flags.c_contiguous
    )
    direct = out.dtype == np.float64 or (narrow and out.dtype == np.float32)
    apply = _BlockWriter(function, k if widen else 1, direct, fused=fused)

    # A column-major X and output (a frame's values) go in tiles of a few
    # columns, each function's per-column vectors cut to the tile's columns;
    # columns given apart (a polars frame's) go one by one.
    groups = [slice(0, n_columns)]
    if by_column and elementwise:
        groups = [slice(j, j + 1) for j in range(n_columns)]
    elif elementwise and column_major(out):
        groups = column_groups(X)
    tiles = [
        (columns, rows)
        for columns in groups
        for rows in row_blocks(n_rows, columns.stop - columns.start)
    ]

    # Infinity shows in the output of a function that says so: its block,
    # just written and still in cache, is summed after the function rather
    # than the input's before (one pass less from memory). Not when the
    # output overwrites the input, which the exact test reads.
    shares = not by_column and np.may_share_memory(X, out)
    after = check_infinite == "output" and not shares
    # The fused kernel checks what it reads, unless it overwrites it.
    told = fused is not None and check_infinite and not shares

    def work(tile):
        columns, rows = tile
        if not by_column:
            src = X[rows, columns]
        elif elementwise:
            src = X[columns.start][rows, None]
        elif fused is not None:
            # A fused row kernel reads the block's rows where they lie.
            src = [column[rows] for column in X]
        else:
            src = gathered([column[rows] for column in X], out.dtype)
        dst = out[rows] if len(groups) == 1 else out[rows, columns]
        infinite = None
        with np.errstate(all="ignore"):
            # A sum in the block's own dtype: no cast. An overflow of finite
            # values (or a NaN) only sends the block to the exact test.
            if check_infinite and not (after or told) and not finite_sum(src):
                infinite = np.isinf(src).any(axis=0)
            if len(groups) == 1:
                finite = apply(src, dst)
            else:
                finite = apply(src, dst, lambda vector: vector[columns])
            if (told and not finite) or (after and not told and not finite_sum(dst)):
                if isinstance(src, list):
                    infinite = np.array([np.isinf(column).any() for column in src])
                else:
                    infinite = np.isinf(src).any(axis=0)
        return columns, infinite

    found = np.zeros(n_columns, dtype=bool)
    for columns, infinite in map_blocks(work, tiles):
        if infinite is not None:
            found[columns] |= infinite
    return found


def _same(vector):
    return vector


class _BlockWriter:
    """``function(src, dst, cols)`` on one block, on widened rows where it can.

    With ``k > 1``, a block's whole groups of ``k`` rows are viewed as rows of
    ``k * p`` values and ``cols`` tiles each per-column vector to that length
    (once per vector: the same few come back block after block); the rows
    past the last whole group go as they are. Unless ``direct`` (a float64
    output, or one the function writes in its own dtype), the block is cast
    once into a per-thread float64 scratch block, computed there in place and
    cast back: cheaper than letting each ufunc cast in small buffers. A
    ``fused`` kernel, where given, takes the block in its own dtypes instead;
    the call then returns whether every value it read was finite (None
    otherwise).
    """

    def __init__(self, function, k, direct, fused=None):
        self.function = function
        self.k = k
        self.direct = direct
        self.fused = fused
        # By id; the entry holds the vector itself, so that its id stays its own.
        self.tiled_vectors = {}

    def tiled(self, vector):
        hit = self.tiled_vectors.get(id(vector))
        if hit is None:
            hit = self.tiled_vectors[id(vector)] = (vector, tile_row(vector, self.k))
        return hit[1]

    def __call__(self, src, dst, cols=_same):
        k = self.k
        finite = True
        if k > 1 and src.shape[0] >= k:
            width = k * src.shape[1]
            main = src.shape[0] - src.shape[0] % k
            if main < src.shape[0]:
                finite = self(src[main:], dst[main:])
                src, dst = src[:main], dst[:main]
            src, dst = src.reshape(-1, width), dst.reshape(-1, width)
            cols = self.tiled
        if self.fused is not None:
            return self.fused(src, dst, cols) and finite
        if self.direct:
            self.function(src, dst, cols)
        else:
            order = "F" if column_major(src) else "C"
            wide = scratch("transform", src.shape, order=order)
            wide[...] = src
            self.function(wide, wide, cols)
            dst[...] = wide


def gathered(columns, dtype):
    """Columns of one length side by side, in a column-major scratch block.

    A row kernel needs whole rows: a polars frame's block of rows gathered from
    its columns (each column's part copied whole), as a Fortran-ordered
    array's block.
    """
    block = scratch("gathered", (len(columns[0]), len(columns)), dtype, order="F")
    for j, column in enumerate(columns):
        block[:, j] = column
    return block


def finite_sum(block):
    """Whether the sum of a block is finite: not where a value is infinite or NaN
    (nor where finite values overflow it)."""
    return np.isfinite(np.add.reduce(block, axis=None))
