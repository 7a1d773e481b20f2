"""Dask collections: block statistics from the core, merged in a tree; lazy transforms.

The one door between the estimators and Dask: they import this module, and it
imports dask only inside the functions that meet a Dask collection, so that
``import skscale`` never imports dask (a test says so). A collection is read
as blocks of rows (the chunks of a Dask array, the partitions of a Dask
DataFrame); each block is summarised by the same statistics core as in-memory
data, in one task, and the summaries are merged pairwise in a tree of tasks,
all in a single compute.
"""

import warnings

import numpy as np
from sklearn.utils.validation import check_array

from ._config import config_context
from ._stats import FeatureStats
from ._validation import (
    FLOAT_DTYPES,
    check_sample_weight,
    raise_named_columns,
    refuse_no_columns,
    refuse_temporal_columns,
)

MIN_DASK_VERSION = (2024, 1)


def is_dask_collection(X):
    """Whether X is a Dask array or DataFrame, without importing dask."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def _dask():
    import dask

    version = tuple(int(part) for part in dask.__version__.split(".")[:2])
    if version < MIN_DASK_VERSION:
        raise ImportError(
            f"skscale needs dask >= {'.'.join(map(str, MIN_DASK_VERSION))} for Dask "
            f"collections, found dask {dask.__version__}; upgrade with "
            '`pip install -U "skscale[dask]"`'
        )
    return dask


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "map_partitions")


def check_input(estimator, X, reset):
    """Check a collection's width and names against ``estimator``; compute nothing."""
    _dask()
    _, names, n_features = _row_blocks(X)
    check_features(estimator, names, n_features, reset)


def feature_names(columns):
    """A DataFrame's feature names by scikit-learn's rules (``_get_feature_names``).

    All strings: the names; none a string: None (no names are kept); a mix:
    the TypeError scikit-learn raises for a pandas frame.
    """
    columns = list(columns)
    types = sorted({type(c).__qualname__ for c in columns})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {types} as feature name / column name types. "
            "If you want feature names to be stored and validated, you must convert "
            "them all to strings, by using X.columns = X.columns.astype(str) for "
            "example. Otherwise you can remove feature / column names from your input "
            "data, or convert them all to a non-string data type."
        )
    return columns if types == ["str"] else None


def _row_blocks(X):
    """Delayed row blocks of X, its column names (or None) and its width."""
    if _is_dataframe(X):
        # Its length is unknown until computed: nan, as Dask shows it.
        refuse_no_columns(X, rows=np.nan)
        refuse_temporal_columns(X)
        return list(X.to_delayed()), feature_names(X.columns), len(X.columns)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D Dask array, got {X.ndim}D with shape {X.shape}; "
            "reshape it to (n_samples, n_features)"
        )
    refuse_no_columns(X, rows=X.shape[0])
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return list(X.to_delayed().ravel()), None, X.shape[1]


def _weight_blocks(sample_weight, n_blocks):
    if sample_weight is None:
        return [None] * n_blocks
    if not is_dask_collection(sample_weight):
        raise ValueError(
            "sample_weight for a Dask collection must be a Dask array with one "
            f"chunk per block of X, got {type(sample_weight).__name__}"
        )
    blocks = list(sample_weight.to_delayed().ravel())
    if len(blocks) != n_blocks:
        raise ValueError(
            f"sample_weight has {len(blocks)} chunks but X has {n_blocks} blocks of "
            "rows; rechunk sample_weight like X's rows"
        )
    return blocks


def _as_float(block):
    try:
        return check_array(
            block, dtype=FLOAT_DTYPES, ensure_all_finite=False, ensure_min_samples=0
        )
    except (TypeError, ValueError) as exc:
        raise_named_columns(block, exc)
        raise


def _batch_statistics(X, blocks, weights, moments, extrema, batch_size, dask):
    """The statistics of rows ``[k * batch_size, (k + 1) * batch_size)``, for each k.

    Each block is cut where a batch starts, and each piece summarised in the
    block's task; a batch that straddles blocks is merged from its pieces (an
    exact merge), so that the batches are those of the rows in order, as NumPy
    would cut them, whatever the block lengths. Block lengths unknown to Dask
    (DataFrame partitions, arrays of unknown chunks) are computed first.
    """
    lengths = X.chunks[0] if not _is_dataframe(X) else (np.nan,)
    if not np.all(np.isfinite(lengths)):
        lengths = dask.compute(*(dask.delayed(len)(block) for block in blocks))
    parts, owners, offset = [], [], 0
    for block, weight, length in zip(blocks, weights, lengths, strict=True):
        length = int(length)
        first = -(-offset // batch_size) * batch_size  # the next batch start
        cuts = sorted({offset, *range(first, offset + length, batch_size)})
        pieces = [
            (start - offset, stop - offset)
            for start, stop in zip(cuts, [*cuts[1:], offset + length], strict=True)
            if stop > start
        ]
        owners += [(offset + start) // batch_size for start, _ in pieces]
        parts.append(
            dask.delayed(_piece_stats)(block, weight, pieces, moments, extrema)
        )
        offset += length
    pieces = [stats for part in dask.compute(*parts) for stats in part]
    batches = []
    for owner, stats in zip(owners, pieces, strict=True):
        if batches and batches[-1][0] == owner:
            batches[-1][1] = batches[-1][1].merge(stats)
        else:
            batches.append([owner, stats])
    return [stats for _, stats in batches]


def _piece_stats(block, weight, pieces, moments, extrema):
    with config_context(n_threads=1):
        X = _as_float(block)
        if weight is not None:
            weight = check_sample_weight(np.asarray(weight), X.shape[0])
        return [
            FeatureStats.from_array(
                X[start:stop],
                None if weight is None else weight[start:stop],
                moments=moments,
                extrema=extrema,
            )
            for start, stop in pieces
        ]


def _block_stats(block, weight, moments, extrema):
    # The cluster runs blocks in parallel already: one thread per block.
    with config_context(n_threads=1):
        X = _as_float(block)
        if weight is not None:
            weight = check_sample_weight(np.asarray(weight), X.shape[0])
        return FeatureStats.from_array(X, weight, moments=moments, extrema=extrema)


def _merge(a, b):
    return a.merge(b)


def statistics(X, sample_weight, moments, extrema, *, in_order, batch_size=None):
    """Statistics of a Dask collection, in one compute.

    Returns ``(stats, names, n_features)``, where ``stats`` is the tree-merged
    FeatureStats, or with ``in_order`` the list of every block's statistics in
    row order (for running statistics, which take each block as a batch), or
    with ``batch_size`` the list of the statistics of consecutive batches of
    that many rows, in row order, whatever the blocks (see
    :func:`_batch_statistics`).
    """
    dask = _dask()
    blocks, names, n_features = _row_blocks(X)
    weights = _weight_blocks(sample_weight, len(blocks))
    if batch_size is not None:
        stats = _batch_statistics(
            X, blocks, weights, moments, extrema, batch_size, dask
        )
        return stats, names, n_features
    parts = [
        dask.delayed(_block_stats)(block, weight, moments, extrema)
        for block, weight in zip(blocks, weights, strict=True)
    ]
    if in_order:
        return list(dask.compute(*parts)), names, n_features
    while len(parts) > 1:
        merged = [
            dask.delayed(_merge)(parts[i], parts[i + 1])
            for i in range(0, len(parts) - 1, 2)
        ]
        parts = merged + parts[len(merged) * 2 :]
    (stats,) = dask.compute(parts[0])
    return stats, names, n_features


def check_features(estimator, names, n_features, reset):
    """Set (reset) or check ``n_features_in_`` and ``feature_names_in_``."""
    if reset:
        estimator.n_features_in_ = n_features
        if names is not None:
            estimator.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return
    if n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    # scikit-learn's warnings when one side has names and the other not.
    kind = type(estimator).__name__
    if names is not None and fitted is None:
        warnings.warn(
            f"X has feature names, but {kind} was fitted without feature names",
            UserWarning,
            stacklevel=4,
        )
    if names is None and fitted is not None:
        warnings.warn(
            f"X does not have valid feature names, but {kind} was fitted with "
            "feature names",
            UserWarning,
            stacklevel=4,
        )
    if names is not None and fitted is not None and list(fitted) != names:
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"got {names}, expected {list(fitted)}"
        )


def transform(estimator, X, apply):
    """Lazy ``apply(estimator, block)`` over the row blocks of X, same kind as X."""
    _dask()
    if _is_dataframe(X):
        names = feature_names(X.columns)
        check_features(estimator, names, len(X.columns), reset=False)
        # The dtype a partition validates to, as the pandas path would: found
        # on the empty frame Dask keeps as the collection's metadata (nullable,
        # pyarrow-backed and categorical columns included).
        dtype = _as_float(X._meta).dtype
        if dtype not in (np.float32, np.float64):
            dtype = np.dtype(np.float64)
        meta = X._meta.astype(dtype)
        return X.map_partitions(_apply_partition, estimator, apply, meta=meta)
    _, _, n_features = _row_blocks(X)
    check_features(estimator, None, n_features, reset=False)
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    dtype = X.dtype if X.dtype in (np.float16, np.float32) else np.dtype(np.float64)
    return X.map_blocks(_apply_block, estimator, apply, dtype=dtype)


def wrap_output(estimator, out, container):
    """A lazy Dask output in the container ``set_output`` configures.

    ``"default"``: as computed (a Dask array for a Dask array, a Dask
    DataFrame of pandas partitions for a Dask DataFrame). ``"pandas"``: a Dask
    DataFrame of pandas partitions named by ``get_feature_names_out()``, with
    the input's index and divisions. A container Dask cannot hold is refused.
    """
    if container == "default":
        return out
    if container != "pandas":
        raise ValueError(
            f"set_output(transform={container!r}) cannot hold a Dask collection: "
            "Dask computes lazily in pandas partitions. Use set_output(transform="
            "'pandas') for a Dask DataFrame, or 'default'; or compute the input "
            f"first (X.compute()) for a {container} frame in memory."
        )
    names = [str(name) for name in estimator.get_feature_names_out()]
    if _is_dataframe(out):
        if list(out.columns) != names:
            out = out.rename(columns=dict(zip(out.columns, names, strict=True)))
        return out
    import dask.dataframe as dd

    return dd.from_dask_array(out, columns=names)


def _apply_block(block, estimator, apply):
    if block.shape[0] == 0:
        return _as_float(block)
    with config_context(n_threads=1):
        return apply(estimator, block)


def _apply_partition(part, estimator, apply):
    import pandas as pd

    values = _apply_block(part, estimator, apply)
    return pd.DataFrame(values, index=part.index, columns=part.columns)
