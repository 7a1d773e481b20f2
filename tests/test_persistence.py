"""Saving estimators as JSON: exact round trips, strict checks, portable formulas."""

import builtins
import copy
import errno
import io
import json
import os
import re
import socket
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import preprocessing
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import HashingVectorizer

import skscale
from skscale import (
    MaxAbsScaler,
    MeanNormalizationScaler,
    MiniBatchStandardizer,
    MinMaxScaler,
    StandardScaler,
    UnitLengthNormalizer,
)
from skscale._affine import AffineMap
from skscale._persistence import (
    MAX_BYTES,
    atomic_path,
    dump,
    from_dict,
    load,
    to_dict,
)
from skscale._registry import estimators as registry
from skscale._running import BatchHistory
from skscale._stats import FeatureStats

from .conftest import COLUMN_SCALERS, ESTIMATOR_NAMES, all_estimators

DOCS = Path(__file__).parent.parent / "docs" / "persistence.md"

# Every public estimator with its defaults, plus the settings that save other
# fields (running averages) or other values (an infinite norm, ints and tuples).
ESTIMATORS = {
    **all_estimators(),
    "StandardScaler(with_mean=False, ddof=1)": StandardScaler(with_mean=False, ddof=1),
    "MinMaxScaler(feature_range=(-3, 2), clip=True)": MinMaxScaler(
        feature_range=(-3, 2), clip=True
    ),
    "MaxAbsScaler(clip=True)": MaxAbsScaler(clip=True),
    "UnitLengthNormalizer(norm=inf)": UnitLengthNormalizer(norm=np.inf),
    "UnitLengthNormalizer(norm=3.5)": UnitLengthNormalizer(norm=3.5),
    "MiniBatchStandardizer(momentum=0.1)": MiniBatchStandardizer(momentum=0.1),
    "MiniBatchStandardizer(momentum=0.3, PyTorch's)": MiniBatchStandardizer(
        momentum=0.3, bias_correction=False, ddof=1, eps=1e-5
    ),
}
SCALERS = {
    name: est for name, est in ESTIMATORS.items() if hasattr(est, "inverse_transform")
}
MERGEABLE = {
    name: est for name, est in SCALERS.items() if getattr(est, "momentum", None) is None
}


def estimators(table):
    """Parametrize the ``estimator`` fixture over a table of prototypes."""
    return pytest.mark.parametrize(
        "estimator", list(table.values()), ids=list(table), indirect=True
    )


@pytest.fixture
def estimator(request):
    """A fresh, unfitted copy of the prototype."""
    return clone(request.param)


def data(rng, n=40, kind="nan"):
    X = rng.normal(loc=[3.0, -20.0, 1e4], scale=[1.0, 5.0, 300.0], size=(n, 3))
    if kind in ("nan", "dataframe"):
        X[rng.random(X.shape) < 0.2] = np.nan
    if kind == "dataframe":
        return pd.DataFrame(X, columns=["age", "debt", "income"])
    return X


def fit_in_batches(estimator, X, n_batches=3):
    for rows in np.array_split(np.arange(len(X)), n_batches):
        batch = X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
        estimator.partial_fit(batch)
    return estimator


def through_json(estimator):
    return from_dict(json.loads(json.dumps(to_dict(estimator), allow_nan=False)))


def same_bits(a, b):
    """Equal bit for bit, except that any NaN equals any NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    bits = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.all((a.view(bits) == b.view(bits)) | (np.isnan(a) & np.isnan(b))))


def state(estimator):
    """Every attribute, private ones included, with the statistics unpacked."""
    out = {}
    for key, value in vars(estimator).items():
        if isinstance(value, FeatureStats | AffineMap | BatchHistory):
            # A loaded map keeps its notice for transform: whoever loads it
            # did not see the warning the fit gave (nor was it given to them).
            out.update(
                {
                    f"{key}.{k}": v
                    for k, v in vars(value).items()
                    if k not in ("notice", "given")
                }
            )
        else:
            out[key] = value
    return out


def assert_identical(actual, expected):
    a, e = state(actual), state(expected)
    assert a.keys() == e.keys()
    for key in e:
        if isinstance(e[key], np.ndarray):
            assert same_bits(a[key], e[key]), key
        else:
            assert type(a[key]) is type(e[key]) and a[key] == e[key], key


def outcome(method, X):
    """What a method returns, or the type of what it raises."""
    try:
        return method(X)
    except NotFittedError as exc:
        return type(exc)


# -- round trips ----------------------------------------------------------------


@estimators(ESTIMATORS)
@pytest.mark.parametrize("kind", ["array", "nan", "dataframe"])
def test_round_trip_is_bit_exact(estimator, kind, rng):
    X = data(rng, kind=kind)
    original = fit_in_batches(estimator, X)
    loaded = through_json(original)
    assert_identical(loaded, original)
    X_new = data(rng, n=15, kind=kind) * 1.5
    assert same_bits(loaded.transform(X_new), original.transform(X_new))
    if hasattr(original, "inverse_transform"):
        assert same_bits(
            loaded.inverse_transform(X_new), original.inverse_transform(X_new)
        )


@estimators(ESTIMATORS)
def test_unfitted_round_trip(estimator, rng):
    loaded = through_json(estimator)
    assert loaded.get_params() == estimator.get_params()
    assert not hasattr(loaded, "n_features_in_")
    X = data(rng)
    expected, got = outcome(estimator.transform, X), outcome(loaded.transform, X)
    if isinstance(expected, np.ndarray):
        assert same_bits(got, expected)
    else:
        assert got is expected


@estimators(SCALERS)
def test_round_trip_keeps_a_feature_never_observed(estimator, rng):
    X = data(rng)
    X[:, 1] = np.nan
    with pytest.warns(UserWarning, match="column 1"):
        original = estimator.fit(X)
    loaded = through_json(original)
    assert_identical(loaded, original)
    expected = original.transform(X)
    with pytest.warns(UserWarning, match="column 1"):
        assert same_bits(loaded.transform(X), expected)


@estimators(ESTIMATORS)
def test_dump_and_load_through_a_file(estimator, rng, tmp_path):
    original = fit_in_batches(estimator, data(rng, kind="dataframe"))
    path = tmp_path / "scaler.json"
    dump(original, path)
    assert_identical(load(path), original)
    assert load(str(path)).get_params() == original.get_params()
    # The file is standard JSON (no NaN or Infinity tokens) holding to_dict.
    assert json.loads(path.read_text(), parse_constant=pytest.fail) == to_dict(original)


@estimators(ESTIMATORS)
def test_loaded_estimator_goes_on_fitting_like_the_original(estimator, rng):
    X = data(rng, n=60)
    original = fit_in_batches(estimator, X[:30])
    loaded = through_json(original)
    for batch in (X[30:45], X[45:]):
        original.partial_fit(batch)
        loaded.partial_fit(batch)
    assert_identical(loaded, original)


@estimators(MERGEABLE)
def test_loaded_scaler_merges_like_the_original(estimator, rng):
    X = data(rng, n=60)
    original = fit_in_batches(clone(estimator), X[:30])
    other = fit_in_batches(clone(estimator), X[30:])
    loaded = through_json(original)
    assert_identical(loaded.merge(other), original.merge(other))
    assert_identical(other.merge(loaded), other.merge(original))


@estimators(MERGEABLE)
def test_snapshots_while_another_thread_fits_are_consistent(estimator, rng):
    batches = [data(rng, n=5) for _ in range(100)]
    snapshots = []
    worker = threading.Thread(
        target=lambda: [estimator.partial_fit(batch) for batch in batches]
    )
    worker.start()
    while worker.is_alive():
        if hasattr(estimator, "n_features_in_"):
            snapshots.append(to_dict(estimator))
    worker.join()
    # Each snapshot is the scaler after some prefix of the batches.
    replay = clone(estimator)
    states = {}
    for k, batch in enumerate(batches, start=1):
        states[k] = to_dict(replay.partial_fit(batch))
    for document in snapshots:
        assert document == states[document["fitted"]["stats"]["n_rows"] // 5]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(COLUMN_SCALERS),
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-1e300, 1e300) | st.just(np.nan),
    ),
)
def test_any_data_round_trips_exactly(name, X):
    X[0, 0] = 1.0  # at least one observed value
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "feature .* had no observed", UserWarning)
        original = getattr(skscale, name)().fit(X)
    loaded = through_json(original)
    assert_identical(loaded, original)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # features never observed
        assert same_bits(loaded.transform(X), original.transform(X))


@pytest.mark.parametrize(
    "estimator, expected",
    [(MinMaxScaler(), [0.0, 1.0]), (MeanNormalizationScaler(), [-0.5, 0.5])],
    ids=["MinMaxScaler", "MeanNormalizationScaler"],
)
def test_range_beyond_float64_round_trips(estimator, expected):
    X = np.array([[-1e308], [1e308]])
    loaded = through_json(estimator.fit(X))
    assert_array_equal(loaded.transform(X).ravel(), expected)


# -- what is saved ----------------------------------------------------------------


def apply_saved(document, X):
    """The transform documented in docs/persistence.md, with plain numpy."""
    fitted = document["fitted"]
    values = {
        key: np.array([float(v) for v in array])
        for key, array in fitted["attributes"].items()
    }
    params = document["params"]
    X = np.asarray(X, dtype=np.float64)
    if document["class"] == "MinMaxScaler":
        a, b = (float(v) for v in params["feature_range"])
        divisor = np.where(values["data_range_"] == 0, 1.0, values["data_range_"])
        Y = (X - values["center_"]) / divisor * (b - a) + a
        return np.clip(Y, a, b) if params["clip"] else Y
    Y = (X - values["center_"]) / values["scale_"]
    return np.clip(Y, -1.0, 1.0) if params.get("clip") else Y


@estimators(SCALERS)
def test_saved_scaler_applies_without_skscale(estimator, rng):
    original = fit_in_batches(estimator, data(rng))
    document = json.loads(json.dumps(to_dict(original)))
    X_new = data(rng, n=20) * 2.0
    assert same_bits(apply_saved(document, X_new), original.transform(X_new))


@pytest.mark.parametrize("norm", ["l1", "l2", "max", 3.5])
def test_saved_normalizer_applies_without_skscale(norm, rng):
    document = json.loads(json.dumps(to_dict(UnitLengthNormalizer(norm=norm))))
    p = {"l1": 1.0, "l2": 2.0, "max": np.inf}.get(document["params"]["norm"], norm)
    X = data(rng, kind="array")
    X[0, 1] = np.nan
    norms = (
        np.nanmax(np.abs(X), axis=1)
        if np.isinf(p)
        else np.nansum(np.abs(X) ** p, axis=1) ** (1 / p)
    )
    assert_allclose(
        X / norms[:, None], UnitLengthNormalizer(norm=norm).fit_transform(X), rtol=1e-14
    )


def test_non_finite_floats_are_strings(rng):
    X = data(rng)
    X[:, 2] = np.nan
    with pytest.warns(UserWarning, match="column 2"):
        document = to_dict(StandardScaler().fit(X))
    assert document["fitted"]["attributes"]["scale_"][2] == "NaN"
    assert to_dict(UnitLengthNormalizer(norm=np.inf))["params"]["norm"] == "Infinity"
    assert document["fitted"]["stats"]["count"] == [
        int(c) for c in np.sum(~np.isnan(X), axis=0)
    ]


def test_document_records_versions():
    document = to_dict(StandardScaler())
    assert document["skscale_version"] == skscale.__version__
    assert document["schema_version"] == 3
    assert document["fitted"] is None


def test_version_1_documents_still_load():
    # Version 1 had no stats.extrema: its statistics always held min and max.
    X = np.array([[20.0, 1.0], [40.0, 5.0], [60.0, 3.0]])
    document = to_dict(StandardScaler().fit(X))
    document["schema_version"] = 1
    stats = document["fitted"]["stats"]
    del stats["extrema"], stats["residual"]
    stats["min"], stats["max"] = [20.0, 1.0], [60.0, 5.0]
    scaler = from_dict(document)
    assert scaler.stats_.extrema
    assert_array_equal(scaler.stats_.min, [20.0, 1.0])
    assert_array_equal(scaler.transform(X), StandardScaler().fit_transform(X))
    # and refit or merged with new statistics, it keeps going
    merged = scaler.merge(StandardScaler().fit(X))
    assert_allclose(merged.mean_, X.mean(axis=0))


OLD_FILES = sorted((Path(__file__).parent / "data").glob("schema_v*.json"))


def old_file_data():
    """The data the files in tests/data were fitted on (see their names)."""
    rng = np.random.default_rng(42)
    X = np.column_stack(
        [1e9 + rng.normal(size=40), rng.normal(5, 2, size=40), rng.normal(size=40)]
    )
    X[::7, 1] = np.nan
    X[:, 2] = np.nan
    return X, rng.uniform(0.5, 2, size=40)


def test_a_file_of_every_schema_version_is_kept():
    versions = {int(path.name.split("_")[1][1:]) for path in OLD_FILES}
    assert versions == set(range(1, skscale._persistence.SCHEMA_VERSION + 1))


@pytest.mark.parametrize("path", OLD_FILES, ids=[p.stem for p in OLD_FILES])
@pytest.mark.filterwarnings("ignore:feature .* had no observed:UserWarning")
def test_every_older_schema_version_still_loads(path):
    # Files written by earlier skscale versions (each schema version) load,
    # transform as the estimator fitted today does (to rounding: older
    # versions rounded the mean to float64), and save in today's version.
    X, w = old_file_data()
    old = load(path)
    name = path.stem.split("_", 2)[2]
    params = json.loads(path.read_text())["params"]
    fresh = clone(old).fit(X, sample_weight=w)
    assert type(old).__name__ == name.split("-")[0]
    # Older versions rounded each batch mean to float64: an ulp of 1e9 apart.
    assert_allclose(old.transform(X), fresh.transform(X), rtol=1e-9, atol=1e-6)
    if hasattr(old, "mean_"):
        assert_allclose(old.mean_, fresh.mean_, rtol=1e-15)
    assert params.keys() == old.get_params().keys()
    document = to_dict(old)
    assert document["schema_version"] == skscale._persistence.SCHEMA_VERSION
    assert to_dict(from_dict(document)) == document


def test_allow_list_is_every_public_estimator():
    assert sorted(registry()) == sorted(ESTIMATOR_NAMES)
    assert all(cls is getattr(skscale, name) for name, cls in registry().items())


def keys_of(value):
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    return set()


@estimators(ESTIMATORS)
def test_docs_name_every_saved_field(estimator, rng):
    documented = set(re.findall(r"`([A-Za-z_0-9]+)`", DOCS.read_text()))
    saved = keys_of(to_dict(fit_in_batches(estimator, data(rng, kind="dataframe"))))
    saved -= {"age", "debt", "income"}
    assert saved - documented == set()


def test_docs_example_is_what_skscale_writes():
    text = DOCS.read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))
    rebuilt = to_dict(from_dict(example))
    rebuilt["skscale_version"] = example["skscale_version"]
    assert rebuilt == example


# -- what is refused --------------------------------------------------------------


DELETE = object()


def mutated(document, path, value):
    """A copy of ``document`` with the value at a dotted path replaced or deleted."""
    document = copy.deepcopy(document)
    if not path:
        return value
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value(node[key]) if callable(value) else value
    return document


def base_documents():
    frame = pd.DataFrame({"age": [20.0, 40.0, np.nan, 60.0], "debt": [1.0, 5, 3, 2]})
    running = MiniBatchStandardizer(momentum=0.5)
    return {
        "standard": to_dict(StandardScaler().fit(frame)),
        "minmax": to_dict(MinMaxScaler().fit(frame)),
        "meannorm": to_dict(MeanNormalizationScaler().fit(frame)),
        "running": to_dict(fit_in_batches(running, frame.to_numpy())),
        "normalizer": to_dict(UnitLengthNormalizer().fit(frame)),
    }


S, A, M = "fitted.stats.", "fitted.attributes.", "fitted.minibatch."
# id: (base document, dotted path, new value or DELETE, what the error says)
MALFORMED = {
    "not an object": ("standard", "", [], "must be a JSON object, got an array"),
    "unknown class": ("standard", "class", "RobustScaler", "class 'RobustScaler'"),
    "class naming a function": ("standard", "class", "os.system", "class 'os.system'"),
    "class not a string": ("standard", "class", 7, "class must be a string"),
    "unknown key": ("standard", "pickle", "cos\nsystem", "unknown key 'pickle'"),
    "missing key": ("standard", "params", DELETE, "missing key 'params'"),
    "newer schema": ("standard", "schema_version", 4, "schema_version 4 is newer"),
    "schema version string": ("standard", "schema_version", "1", "an integer, got a"),
    "schema version zero": ("standard", "schema_version", 0, "an integer >= 1, got 0"),
    "skscale version number": ("standard", "skscale_version", 1, "must be a string"),
    "params not an object": ("standard", "params", [], "params must be a JSON object"),
    "unknown param": ("standard", "params.foo", 1, "unknown key 'foo' in params"),
    "missing param": ("standard", "params.ddof", DELETE, "missing key 'ddof' in par"),
    "bad param value": ("standard", "params.ddof", -1, "ddof must be a number >= 0"),
    "param wrong type": (
        "standard",
        "params.with_mean",
        "yes",
        "with_mean must be a b",
    ),
    "param an object": ("standard", "params.ddof", {}, "params.ddof must be null, a"),
    "bad norm": ("normalizer", "params.norm", "l3", "params.norm must be"),
    "bad feature range": ("minmax", "params.feature_range", [1, 0], "feature_range mu"),
    "fitted not an object": ("standard", "fitted", [], "fitted must be a JSON object"),
    "unknown fitted key": ("normalizer", "fitted.stats", {}, "key 'stats' in fitted"),
    "missing statistics": ("standard", "fitted.stats", DELETE, "key 'stats' in fitted"),
    "n_features_in float": ("standard", "fitted.n_features_in", 2.0, "got a number"),
    "n_features_in bool": ("standard", "fitted.n_features_in", True, "got a boolean"),
    "n_features_in zero": (
        "normalizer",
        "fitted.n_features_in",
        0,
        "an integer >= 1, got 0",
    ),
    "n_features_in large": ("standard", "fitted.n_features_in", 3, "2 entries, expe"),
    "name not a string": ("standard", "fitted.feature_names_in.0", 1, r"in\[0\] must"),
    "too few names": ("normalizer", "fitted.feature_names_in", ["age"], "1 entries"),
    "short statistics": ("standard", S + "mean", lambda v: v[:1], "mean has 1 entries"),
    "long attribute": (
        "standard",
        A + "scale_",
        lambda v: [*v, 1.0],
        "_ has 3 entries",
    ),
    "scalar for array": ("minmax", S + "min", 1.0, "min must be an array, got a nu"),
    "NaN scale": ("standard", A + "scale_.0", "NaN", r"scale_\[0\] must be finite and"),
    "zero scale": ("standard", A + "scale_.1", 0.0, r"scale_\[1\] must be finite and"),
    "negative scale": ("standard", A + "scale_.0", -2.0, r"scale_\[0\] must be finite"),
    "infinite scale": ("standard", A + "scale_.0", "Infinity", r"\[0\] must be finite"),
    "zero multiplier": ("minmax", A + "scale_.0", 0.0, r"scale_\[0\] must be > 0"),
    "raw NaN float": ("standard", S + "mean.0", float("nan"), "a non-finite number"),
    "unknown string": ("standard", S + "mean.0", "nan", 'must be a number, "NaN"'),
    "number as string": ("minmax", S + "max.0", "60.0", r"max\[0\] must be a number"),
    "negative count": ("standard", S + "count.0", -1, "between 0 and 4, got -1"),
    "count above n_rows": ("standard", S + "count.0", 5, "between 0 and 4, got 5"),
    "float count": ("standard", S + "count.0", 3.0, r"count\[0\] must be an integer"),
    "boolean count": ("standard", S + "count.0", True, "integer, got a boolean"),
    "n_rows a string": ("standard", S + "n_rows", "4", "integer, got a string"),
    "negative weight": ("standard", S + "weight.0", -3.0, "must be > 0 where count"),
    "negative std0": ("standard", S + "std0.0", -1.0, "must be finite and >= 0"),
    "min above max": ("minmax", S + "min.0", 100.0, r"max\[0\] must be >= min"),
    "mean out of range": ("meannorm", S + "mean.0", 1e9, "must lie between min and"),
    "extrema not computed": ("standard", S + "min.0", 1.0, 'NaN" when extrema is f'),
    "extrema not a boolean": ("standard", S + "extrema", 0, "extrema must be true or"),
    "missing extrema": ("standard", S + "extrema", DELETE, "missing key 'extrema'"),
    "extrema without moments": ("minmax", S + "extrema", False, "only when moments"),
    "infinite mean": ("standard", S + "mean.0", "Infinity", r"mean\[0\] must be fini"),
    "too few moments": ("standard", S + "moments", 1, "moments must be at least 2"),
    "unknown attribute": ("standard", A + "foo_", [1.0, 1.0], "unknown key 'foo_'"),
    "missing attribute": ("standard", A + "var_", DELETE, "missing key 'var_'"),
    "attribute changed": ("standard", A + "mean_.0", lambda v: v + 1, r"mean_\[0\]:"),
    "statistic changed": ("standard", S + "std0.1", lambda v: 2 * v, r"var_\[1\]:"),
    "multiplier changed": ("minmax", A + "min_.1", 0.5, r"inconsistent .*min_\[1\]"),
    "missing running std": ("running", M + "std", DELETE, "missing key 'std' in fitt"),
    "zero batches": ("running", M + "n_batches_seen", 0, "an integer >= 1, got 0"),
    "too many updates": ("running", M + "n_mean_updates.0", 4, "between 0 and 3"),
    "negative running std": ("running", M + "std.0", -1.0, r"std\[0\] must be finite"),
    "running mean changed": ("running", M + "mean.0", lambda v: v + 1, r"mean_\[0\]:"),
    # Every invalid parameter is named by its path, whatever its type or size.
    "huge ddof": (
        "standard",
        "params.ddof",
        10**400,
        r"params\.ddof must be a number >= 0, got an integer of 401 digits: "
        "integers must fit in 64 bits",
    ),
    "ddof beyond 64 bits": ("standard", "params.ddof", 2**64, r"params\.ddof .*64 b"),
    "huge norm": ("normalizer", "params.norm", 10**400, r"params\.norm must be 'l1'"),
    "huge eps": ("running", "params.eps", -(10**400), r"params\.eps must be a fin"),
    "huge momentum": ("running", "params.momentum", 10**400, r"params\.momentum mu"),
    "huge batch size": ("running", "params.batch_size", 10**400, r"params\.batch_s"),
    "huge range bound": (
        "minmax",
        "params.feature_range.1",
        10**400,
        r"params\.feature_range must be .*; integers must fit in 64 bits",
    ),
    "NaN ddof": ("standard", "params.ddof", "NaN", r"params\.ddof must be .*got nan"),
    "NaN momentum": ("running", "params.momentum", "NaN", r"params\.momentum .*nan"),
    "infinite eps": ("running", "params.eps", "Infinity", r"params\.eps .*got inf"),
    "NaN norm": ("normalizer", "params.norm", "NaN", r"params\.norm must be"),
    "copy a number": ("standard", "params.copy", 1, r"params\.copy must be a bool"),
    "nested param": (
        "minmax",
        "params.feature_range.0",
        [0],
        r"params\.feature_range\[0\] must be null, a boolean, a number or a "
        "string, got an array",
    ),
    "huge statistic": (
        "standard",
        S + "mean.0",
        10**400,
        r"fitted\.stats\.mean\[0\] is a non-finite number or one beyond the "
        "float64 range, got an integer of 401 digits",
    ),
    "huge attribute": ("standard", A + "scale_.1", -(10**400), r"scale_\[1\] is a"),
    "huge count": (
        "standard",
        S + "count.1",
        10**400,
        r"fitted\.stats\.count\[1\] must be an integer between 0 and 4, got an "
        "integer of 401 digits",
    ),
    "huge n_rows": ("standard", S + "n_rows", 10**400, r"n_rows must be an integer b"),
    "huge n_features_in": (
        "standard",
        "fitted.n_features_in",
        10**400,
        r"fitted\.n_features_in must be an integer below 2\*\*63, got an integer",
    ),
    "huge schema version": ("standard", "schema_version", 10**400, r"below 2\*\*63"),
    "huge update count": ("running", M + "n_var_updates.1", 10**400, r"s\[1\] must"),
    "string count": ("standard", S + "count.0", "NaN", r"count\[0\] must be an int"),
    "boolean weight": ("standard", S + "weight.1", True, r"weight\[1\] must be a n"),
    "number in names": ("standard", "fitted.feature_names_in.1", 2, r"in\[1\] must"),
}


@pytest.mark.parametrize(
    "base, path, value, message", MALFORMED.values(), ids=MALFORMED.keys()
)
def test_malformed_document_raises_naming_the_problem(base, path, value, message):
    document = mutated(base_documents()[base], path, value)
    with pytest.raises(ValueError, match=message):
        from_dict(document)


def test_unmutated_documents_load():
    for name, document in base_documents().items():
        assert to_dict(from_dict(document)) == document, name


MALFORMED_FILES = {
    "not JSON": (b"{not json", "not valid JSON"),
    "empty": (b"", "not valid JSON"),
    "NaN token": (b'{"schema_version": NaN}', "NaN is not standard JSON"),
    "Infinity token": (b"[Infinity]", "Infinity is not standard JSON"),
    "duplicate key": (
        b'{"class": "StandardScaler", "class": "x"}',
        "duplicate key 'class'",
    ),
    "not UTF-8": (b"\xff\xfe\x00\x80", "not a UTF-8 text file"),
    "an array": (b"[1, 2]", "must be a JSON object, got an array"),
    "a pickle": (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94.", "not"),
    "100,000 [": (b"[" * 100_000, "nested more than 64 levels deep at line 1 col"),
    "deep objects": (b'{"a":\n' * 100_000, "more than 64 levels deep at line 65 col"),
    "deep in a document": (
        b'{"schema_version": 3, "class": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "nested more than 64 levels deep at line 1 column 95",
    ),
    "integer of 5000 digits": (
        b'{"schema_version": ' + b"1" * 5000 + b"}",
        "not valid JSON: an integer of 5000 digits at line 1 column 20",
    ),
    "integer of 400 digits": (
        json.dumps(to_dict(UnitLengthNormalizer())).replace('"l2"', "7" * 400).encode(),
        r"params\.norm must be .*, got an integer of 400 digits",
    ),
}


@pytest.mark.parametrize(
    "content, message", MALFORMED_FILES.values(), ids=MALFORMED_FILES.keys()
)
def test_malformed_file_raises_naming_the_file_and_the_problem(
    content, message, tmp_path
):
    path = tmp_path / "scaler.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(path))) as error:
        load(path)
    assert re.search(message, str(error.value)) is not None


def test_loading_imports_nothing_named_in_the_file(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "skscale_evil.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Evil:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    document = to_dict(StandardScaler())
    for name in ("skscale_evil.Evil", "skscale_evil", "Evil"):
        with pytest.raises(ValueError, match="unknown class"):
            from_dict({**document, "class": name})
    assert "skscale_evil" not in sys.modules
    assert not marker.exists()


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.json")


# -- what is not saved ------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, change",
    [
        (StandardScaler(), {"ddof": 1}),
        (MinMaxScaler(), {"feature_range": (-1, 1)}),
        (MiniBatchStandardizer(momentum=0.5), {"eps": 1.0}),
    ],
    ids=["ddof", "feature_range", "eps"],
)
def test_learned_params_changed_after_fit_ask_for_a_refit(estimator, change, rng):
    fitted = estimator.fit(data(rng)).set_params(**change)
    with pytest.raises(ValueError, match=r"cannot save .*Refit \(call fit\)"):
        to_dict(fitted)


@pytest.mark.parametrize(
    "estimator, change",
    [
        (StandardScaler(), {"with_mean": False}),
        (StandardScaler(), {"with_std": False}),
        (MinMaxScaler(), {"clip": True}),
        (MaxAbsScaler(), {"clip": True}),
        (MiniBatchStandardizer(momentum=0.5), {"with_mean": False}),
    ],
    ids=["with_mean", "with_std", "minmax-clip", "maxabs-clip", "minibatch"],
)
def test_applied_params_changed_after_fit_save_the_new_map(estimator, change, rng):
    X = data(rng)
    changed = clone(estimator).fit(X).set_params(**change)
    refitted = clone(estimator).set_params(**change).fit(X)
    assert to_dict(changed) == to_dict(refitted)


@pytest.mark.parametrize(
    "estimator",
    [preprocessing.StandardScaler(), type("MyScaler", (StandardScaler,), {})()],
    ids=["scikit-learn's", "a subclass"],
)
def test_only_skscale_estimators_are_saved(estimator):
    with pytest.raises(TypeError, match="saves skscale estimators only"):
        to_dict(estimator)


def test_unsavable_param_is_refused():
    with pytest.raises(ValueError, match="cannot be saved"):
        to_dict(MinMaxScaler(feature_range=np.array([0.0, 1.0])))


def test_failed_dump_leaves_the_old_file(rng, tmp_path):
    path = tmp_path / "scaler.json"
    dump(StandardScaler().fit(data(rng)), path)
    before = path.read_bytes()
    broken = StandardScaler().fit(data(rng)).set_params(ddof=1)
    with pytest.raises(ValueError, match="cannot save"):
        dump(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["scaler.json"]
    replacement = MaxAbsScaler().fit(data(rng))
    dump(replacement, path)
    assert_identical(load(path), replacement)
    assert [p.name for p in tmp_path.iterdir()] == ["scaler.json"]


# -- parameters: a document loads exactly what a fit accepts ----------------------

# Values of every JSON type and size, tried for every parameter of every estimator.
PARAM_VALUES = {
    "10**400": 10**400,
    "-10**400": -(10**400),
    "2**64": 2**64,
    "2**63-1": 2**63 - 1,
    "1e308": 1e308,
    "-1": -1,
    "0": 0,
    "0.5": 0.5,
    "1": 1,
    "3": 3,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "l2": "l2",
    "true": True,
    "null": None,
    "[0, 1]": [0, 1],
    "[0, 10**400]": [0, 10**400],
}
PARAMS = [
    (name, key)
    for name in ESTIMATOR_NAMES
    for key in getattr(skscale, name)().get_params()
]


def python_value(value):
    """The Python value a JSON parameter stands for (docs/persistence.md)."""
    if isinstance(value, list):
        return tuple(value)
    return {"NaN": np.nan, "Infinity": np.inf}.get(value, value)


@pytest.mark.parametrize("name, key", PARAMS, ids=[f"{n}.{k}" for n, k in PARAMS])
@pytest.mark.parametrize("value", PARAM_VALUES.values(), ids=PARAM_VALUES.keys())
def test_a_document_loads_exactly_the_parameters_a_fit_accepts(name, key, value, rng):
    X = data(rng)
    estimator = getattr(skscale, name)(**{key: python_value(value)})
    document = to_dict(getattr(skscale, name)())
    document["params"][key] = value
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # ddof above the weight
            estimator.fit(X)
    except ValueError as exc:
        assert str(exc).startswith(key)
        with pytest.raises(ValueError, match=rf"params\.{key}(\[\d\])? must be"):
            from_dict(document)
    else:
        loaded = from_dict(document)
        assert to_dict(loaded)["params"][key] == value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            assert same_bits(loaded.fit(X).transform(X), estimator.transform(X))


# The parameters that take a number, by estimator: every other one is a bool.
NUMERIC_PARAMS = {
    "MaxAbsScaler": [],
    "MeanNormalizationScaler": [],
    "MinMaxScaler": ["feature_range"],
    "MiniBatchStandardizer": ["momentum", "batch_size", "ddof", "eps"],
    "StandardScaler": ["ddof"],
    "UnitLengthNormalizer": ["norm"],
    "LayerNormalizer": ["eps", "ddof"],
}


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_every_numeric_parameter_is_in_the_table(name):
    params = getattr(skscale, name)().get_params()
    numeric = [key for key, value in params.items() if not isinstance(value, bool)]
    assert sorted(numeric) == sorted(NUMERIC_PARAMS[name])


@pytest.mark.parametrize(
    "name, key",
    [(name, key) for name, keys in NUMERIC_PARAMS.items() for key in keys],
)
@pytest.mark.parametrize(
    "huge", [10**400, -(10**400), 2**64], ids=["10**400", "-10**400", "2**64"]
)
def test_a_huge_integer_parameter_is_refused_naming_it(name, key, huge, rng):
    # Python ints beyond 64 bits made numpy fail inside the fit, with a TypeError
    # ("ufunc 'isfinite' not supported") or an OverflowError.
    value = (0, huge) if key == "feature_range" else huge
    estimator = getattr(skscale, name)(**{key: value})
    with pytest.raises(
        ValueError,
        match=rf"^{key} must be .*, got .*[:;] integers must fit in 64 bits$",
    ):
        estimator.fit(data(rng))


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def test_a_deeply_nested_parameter_is_a_value_error():
    document = to_dict(StandardScaler())
    document["params"]["ddof"] = nested(100_000)
    with pytest.raises(ValueError, match=r"params\.ddof\[0\] must be null, a boolean"):
        from_dict(document)


# -- reading files ----------------------------------------------------------------


def saved(tmp_path, rng, name="scaler.json"):
    """A fitted estimator and the file it was dumped to."""
    original = fit_in_batches(
        MiniBatchStandardizer(momentum=0.1), data(rng, kind="dataframe")
    )
    path = tmp_path / name
    dump(original, path)
    return original, path


OPEN_MODES = {
    "text": {"mode": "r", "encoding": "utf-8"},
    "binary": {"mode": "rb"},
    "unbuffered": {"mode": "rb", "buffering": 0},
}


@pytest.mark.parametrize("how", OPEN_MODES.values(), ids=OPEN_MODES.keys())
def test_load_reads_an_open_file(how, rng, tmp_path):
    # load(open(path)) raised TypeError.
    original, path = saved(tmp_path, rng)
    with open(path, **how) as file:
        assert_identical(load(file), original)
        assert not file.closed


@pytest.mark.parametrize("kind", ["bytes", "text"])
def test_load_reads_a_file_object_from_where_it_stands(kind, rng, tmp_path):
    original, path = saved(tmp_path, rng)
    content = b"header\n" + path.read_bytes()
    file = io.BytesIO(content) if kind == "bytes" else io.StringIO(content.decode())
    file.readline()
    assert_identical(load(file), original)


def test_load_reads_a_pipe_given_as_a_file_object(rng, tmp_path):
    original, path = saved(tmp_path, rng)
    content = path.read_bytes()
    read_end, write_end = os.pipe()

    def write():
        with open(write_end, "wb") as pipe:
            pipe.write(content)

    writer = threading.Thread(target=write)
    writer.start()
    with open(read_end, "rb") as pipe:
        loaded = load(pipe)
    writer.join()
    assert_identical(loaded, original)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"class": "pickle.loads"}', "missing key 'schema_version'"),
        (b"[" * 100_000, "nested more than 64 levels deep"),
        (b"\xff", "not a UTF-8 text file"),
    ],
    ids=["document", "nesting", "encoding"],
)
def test_errors_from_a_file_object_name_it(content, message, tmp_path):
    path = tmp_path / "scaler.json"
    path.write_bytes(content)
    with open(path, "rb") as file, pytest.raises(ValueError, match=message) as error:
        load(file)
    assert str(error.value).startswith(f"{path}: ")
    with pytest.raises(ValueError, match=rf"^<BytesIO>: .*{message}"):
        load(io.BytesIO(content))


@pytest.mark.parametrize("source", [b"{}", 3, None, ["scaler.json"]], ids=repr)
def test_load_refuses_what_is_neither_a_path_nor_a_file(source):
    with pytest.raises(TypeError, match="load takes the path of a file"):
        load(source)


def never_opened(monkeypatch, folder):
    """From now on, fail at once if a path under ``folder`` is opened."""
    root = os.path.abspath(folder)

    def guard(real):
        def opener(file, *args, **kwargs):
            if isinstance(file, str | bytes | os.PathLike) and os.path.abspath(
                os.fsdecode(file)
            ).startswith(root):
                raise AssertionError(f"{file} was opened")
            return real(file, *args, **kwargs)

        return opener

    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(os, "open", guard(os.open))


DEVICES = {"link to /dev/zero": "/dev/zero", "link to /dev/null": "/dev/null"}
SPECIAL = {
    "directory": "a directory",
    "FIFO": r"a FIFO \(named pipe\)",
    "link to /dev/zero": "a character device",
    "link to /dev/null": "a character device",
    "socket": "a socket",
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX file types")
@pytest.mark.parametrize("kind, described", SPECIAL.items(), ids=SPECIAL.keys())
def test_a_path_that_is_not_a_regular_file_is_refused_unopened(
    kind, described, tmp_path, monkeypatch
):
    # A FIFO blocked load forever and /dev/zero was read until memory ran out.
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "special.json"
    server = None
    if kind == "directory":
        path.mkdir()
    elif kind == "FIFO":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(path.name)  # relative: an absolute one may be too long
    else:
        os.symlink(DEVICES[kind], path)
    never_opened(monkeypatch, tmp_path)
    raised = []

    def run():
        try:
            load(path)
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    if server is not None:
        server.close()
    assert not worker.is_alive(), "load blocked"
    (error,) = raised
    assert isinstance(error, ValueError), error
    assert re.match(
        rf"{re.escape(str(path))}: not a regular file but {described}", str(error)
    )


def test_a_file_over_the_limit_is_refused_unopened(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no disk space used
    never_opened(monkeypatch, tmp_path)
    with pytest.raises(
        ValueError, match=f"{MAX_BYTES + 1} bytes, more than max_bytes={MAX_BYTES} "
    ):
        load(path)


class Endless(io.RawIOBase):
    """A stream of spaces without end, counting what it gives."""

    def __init__(self):
        self.given = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b" " * len(buffer)
        self.given += len(buffer)
        return len(buffer)


def test_a_file_object_is_read_up_to_the_limit_plus_one_byte():
    stream = Endless()
    with pytest.raises(ValueError, match=r"^<Endless>: more than max_bytes=1000 bytes"):
        load(stream, max_bytes=1000)
    assert stream.given == 1001


@pytest.mark.parametrize("max_bytes", [-1, 1.5, "100", True])
def test_max_bytes_must_be_an_int(max_bytes):
    with pytest.raises(ValueError, match="max_bytes must be None or an int >= 0"):
        load(io.BytesIO(b"{}"), max_bytes=max_bytes)


def test_the_limit_counts_the_bytes_of_text(rng, tmp_path):
    original, path = saved(tmp_path, rng)
    text = path.read_text(encoding="utf-8").replace('"0.1.0"', '"0.1.0-é"')
    size = len(text.encode("utf-8"))
    assert size == len(text) + 1
    with pytest.raises(
        ValueError, match=f"{size} bytes, more than max_bytes={size - 1}"
    ):
        load(io.StringIO(text), max_bytes=size - 1)
    assert_identical(load(io.StringIO(text), max_bytes=size), original)
    assert_identical(load(io.StringIO(text), max_bytes=None), original)


def test_the_limit_refuses_a_file_one_byte_over_it(rng, tmp_path):
    original, path = saved(tmp_path, rng)
    size = path.stat().st_size
    assert_identical(load(path, max_bytes=size), original)
    with pytest.raises(
        ValueError, match=f"{size} bytes, more than max_bytes={size - 1}"
    ):
        load(path, max_bytes=size - 1)
    with (
        open(path, "rb") as file,
        pytest.raises(ValueError, match=f"max_bytes={size - 1}"),
    ):
        load(file, max_bytes=size - 1)


def test_brackets_and_escapes_inside_strings_do_not_nest(rng):
    names = ["[" * 100, "{" * 100 + '"', 'a\\"' + "[" * 70, "\\" * 3 + "]"]
    X = pd.DataFrame(data(rng, kind="array")[:, :1].repeat(4, axis=1), columns=names)
    original = StandardScaler().fit(X)
    text = json.dumps(to_dict(original))
    assert text.count("[") > 64
    assert_identical(load(io.StringIO(text)), original)


def test_default_limit_admits_a_hashing_vectorizer_document(tmp_path):
    texts = [
        "the quick brown fox jumps over the lazy dog",
        "every byte it does not scale comes back as it was",
        "a scaler fitted on hashed words",
    ] * 5
    X = HashingVectorizer().fit_transform(texts)
    assert X.shape[1] == 2**20
    scaler = MaxAbsScaler().fit(X)
    path = tmp_path / "hashed.json"
    dump(scaler, path)
    assert path.stat().st_size < MAX_BYTES
    loaded = load(path)
    assert same_bits(loaded.scale_, scaler.scale_)
    assert (loaded.transform(X) != scaler.transform(X)).nnz == 0


def widest(document):
    """``document`` with every per-feature number as long as JSON writes one."""
    document = copy.deepcopy(document)
    for group in ("attributes", "stats", "minibatch"):
        for key, values in document["fitted"].get(group, {}).items():
            if isinstance(values, list):
                document["fitted"][group][key] = [
                    2**63 - 1 if isinstance(v, int) else -2.2250738585072014e-308
                    for v in values
                ]
    return document


@estimators(ESTIMATORS)
def test_default_limit_admits_any_document_of_2_20_features(estimator, rng):
    # Sizes with one and two features, every number at its widest (24 characters
    # for a float, 19 digits for a count) and a 15-character name per feature,
    # extrapolated to 2**20 features, with a margin of a quarter.
    def size(n_features):
        X = pd.DataFrame(
            data(rng, kind="array")[:, :n_features],
            columns=[f"feature_{j:07d}" for j in range(n_features)],
        )
        return len(json.dumps(widest(to_dict(clone(estimator).fit(X)))))

    one, two = size(1), size(2)
    assert one + (2**20 - 1) * (two - one) <= MAX_BYTES / 1.25


# -- temporary files ---------------------------------------------------------------


def name_max(folder):
    return os.pathconf(folder, "PC_NAME_MAX")


@pytest.mark.parametrize(
    "name",
    [
        "s" * 236 + ".json",
        "s" * 245 + ".json",
        "s" * 250 + ".json",
        "é" * 125 + ".json",
    ],
    ids=["241 bytes", "250 bytes", "255 bytes", "255 bytes of UTF-8"],
)
def test_dump_writes_a_name_as_long_as_the_file_system_allows(name, rng, tmp_path):
    # The temporary name added 15 bytes to the final one: ENAMETOOLONG above 240.
    if len(name.encode()) > name_max(tmp_path):
        pytest.skip("a file system with shorter names")
    original, path = saved(tmp_path, rng, name=name)
    assert os.listdir(tmp_path) == [name]
    assert_identical(load(path), original)


def test_a_name_beyond_the_file_system_limit_is_refused_at_once(rng, tmp_path):
    name = "s" * (name_max(tmp_path) + 1)
    with pytest.raises(OSError) as error:
        dump(StandardScaler(), tmp_path / name)
    assert error.value.errno == errno.ENAMETOOLONG
    assert os.listdir(tmp_path) == []


def test_the_temporary_file_is_hidden_short_and_beside_the_target(tmp_path):
    target = tmp_path / ("t" * 250)
    with atomic_path(target) as temporary:
        folder, name = os.path.split(temporary)
        assert folder == str(tmp_path)
        assert name.startswith(".") and name.endswith(".tmp") and len(name) <= 32
        assert os.listdir(tmp_path) == [name]
        Path(temporary).write_text("new")
    assert os.listdir(tmp_path) == [target.name]
    assert target.read_text() == "new"


class Stop(BaseException):
    """Neither an Exception nor a KeyboardInterrupt or SystemExit."""


@pytest.mark.parametrize(
    "exception",
    [
        ValueError,
        OSError,
        MemoryError,
        KeyboardInterrupt,
        SystemExit,
        GeneratorExit,
        Stop,
    ],
)
def test_atomic_path_removes_its_file_whatever_is_raised(exception, tmp_path):
    target = tmp_path / "scaler.json"
    target.write_text("old")
    with pytest.raises(exception), atomic_path(target) as temporary:
        Path(temporary).write_text("half written")
        assert len(os.listdir(tmp_path)) == 2
        raise exception()
    assert os.listdir(tmp_path) == ["scaler.json"]
    assert target.read_text() == "old"


def test_atomic_path_removes_its_file_when_the_rename_fails(tmp_path):
    target = tmp_path / "taken"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError), atomic_path(target) as temporary:
        Path(temporary).write_text("new")
    assert os.listdir(tmp_path) == ["taken"]
    assert os.listdir(target) == ["inside"]
