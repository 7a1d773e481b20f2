"""Time every skscale estimator against its scikit-learn counterpart.

One run times ``fit`` and ``transform`` (``copy=True``, the default) of each
skscale estimator and of its closest scikit-learn counterpart on the same arrays
(random normal data, seed 0; 1,000 x 10, 100,000 x 20 and 2,000,000 x 50, in
float64 and float32), and ``fit + transform`` at the small size, where the cost
of a call is mostly overhead. Two physical references are timed on the same
arrays: one ``X.sum(axis=0)`` pass (the floor of a fit, which must read X once)
and one ``np.copyto(out, X)`` into a preallocated array (the floor of a
transform, which must read X and write a copy).

It prints the machine, then a table: the median time of each library, the ratio
scikit-learn / skscale (how many times faster skscale is), the ratio skscale /
reference, and the peak memory allocated during one call (tracemalloc, which
numpy reports its arrays to) as a fraction of the input's size. A last section
checks the performance targets of the project's performance issue on the
2,000,000 x 50 float64 rows and the 1,000 x 10 rows. It is not a test: the test
suite asserts no timings.

Run it from the repository root::

    python benchmarks/bench_scalers.py                  # everything, a few minutes
    python benchmarks/bench_scalers.py --quick          # small and medium sizes only
    python benchmarks/bench_scalers.py --sizes small 5000x8 --dtypes float32
    python benchmarks/bench_scalers.py --repeats 3 --json results.json

The full run holds the 2,000,000 x 50 float64 array (800 MB), its float32 copy
and the outputs of transform: a few GB of RAM. Progress goes to stderr.
"""

import argparse
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np
import sklearn
from sklearn import preprocessing as sk
from sklearn.preprocessing import FunctionTransformer

import skscale

SIZES = {"small": (1_000, 10), "medium": (100_000, 20), "large": (2_000_000, 50)}
QUICK_SIZES = ("small", "medium")
DTYPES = ("float64", "float32")
SEED = 0
# fit+transform is timed on arrays of at most this many elements (the small size).
FIT_TRANSFORM_MAX_ELEMENTS = 100_000
# A timed repeat calls the operation in a loop until the loop lasts this long, so
# that calls of a few microseconds are not lost in timer noise; the time
# reported is per call. Calls longer than this run once per repeat.
MIN_REPEAT_SECONDS = 0.02
MINIBATCH_BATCH_SIZE = 10_000

# Where the stated targets are checked.
TARGET_SHAPE = SIZES["large"]
TARGET_DTYPE = "float64"
SMALL_SHAPE = SIZES["small"]


def _numpy_layer_norm(X):
    """What scikit-learn users write for layer normalization (scale(X, axis=1))."""
    return (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)


@dataclass(frozen=True)
class Case:
    """An skscale estimator, its scikit-learn counterpart and what to time."""

    name: str
    make_skscale: Callable[[], object]
    make_sklearn: Callable[[], object]
    counterpart: str
    operations: tuple[str, ...] = ("fit", "transform")


CASES = (
    Case("MinMaxScaler", skscale.MinMaxScaler, sk.MinMaxScaler, "MinMaxScaler"),
    Case(
        "MeanNormalizationScaler",
        skscale.MeanNormalizationScaler,
        sk.StandardScaler,
        "StandardScaler (closest)",
    ),
    Case("StandardScaler", skscale.StandardScaler, sk.StandardScaler, "StandardScaler"),
    Case("MaxAbsScaler", skscale.MaxAbsScaler, sk.MaxAbsScaler, "MaxAbsScaler"),
    Case(
        "UnitLengthNormalizer",
        skscale.UnitLengthNormalizer,
        sk.Normalizer,
        "Normalizer",
        operations=("transform",),
    ),
    Case(
        "LayerNormalizer",
        skscale.LayerNormalizer,
        partial(FunctionTransformer, _numpy_layer_norm),
        "NumPy one-liner",
        operations=("transform",),
    ),
    Case(
        "MiniBatchStandardizer",
        partial(skscale.MiniBatchStandardizer, batch_size=MINIBATCH_BATCH_SIZE),
        sk.StandardScaler,
        "StandardScaler",
    ),
)

# (estimator, operation, minimum sklearn/skscale ratio) on the target rows.
SPEED_TARGETS = (
    ("StandardScaler", "fit", 5.0),
    ("StandardScaler", "transform", 2.5),
    ("MinMaxScaler", "fit", 2.5),
    ("MaxAbsScaler", "fit", 2.5),
    ("MeanNormalizationScaler", "fit", 2.5),
    ("UnitLengthNormalizer", "transform", 2.0),
    ("LayerNormalizer", "transform", 2.0),
)
MINIBATCH_OVER_STANDARD_MAX = 1.5
FIT_MEMORY_MAX = 0.05
TRANSFORM_MEMORY_MAX = 1.05
SMALL_FIT_TRANSFORM_MAX = 1.1


@dataclass
class Row:
    """One line of the table: an operation of one estimator on one array."""

    size: str
    n_samples: int
    n_features: int
    dtype: str
    estimator: str
    operation: str
    sklearn_counterpart: str
    skscale_seconds: float
    sklearn_seconds: float
    sklearn_over_skscale: float
    reference: str
    reference_seconds: float
    skscale_over_reference: float
    skscale_peak_fraction: float
    sklearn_peak_fraction: float


# ---------------------------------------------------------------- measuring


def per_call_seconds(call, number):
    """Seconds per call of ``number`` back-to-back calls, garbage collector off."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - start) / number
    finally:
        if gc_was_enabled:
            gc.enable()


def peak_bytes(call):
    """Peak bytes allocated (tracemalloc) during one call, the result included."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(call, repeats, nbytes):
    """(median seconds per call, peak extra memory / nbytes), after a warm-up."""
    ((seconds, memory),) = measure_together([call], repeats, nbytes)
    return seconds, memory


def measure_together(calls, repeats, nbytes):
    """``measure`` of several calls, their repeats interleaved.

    Timing skscale and scikit-learn in turn, rather than one after the other,
    exposes both to the same state of the machine (other load, how readily the
    kernel hands out fresh huge pages), so that their ratio is fair.
    """
    numbers = []
    for call in calls:
        warm_up = per_call_seconds(call, 1)
        numbers.append(max(1, math.ceil(MIN_REPEAT_SECONDS / max(warm_up, 1e-7))))
    times = [[] for _ in calls]
    for _ in range(repeats):
        for call, number, record in zip(calls, numbers, times, strict=True):
            record.append(per_call_seconds(call, number))
    return [
        (statistics.median(record), peak_bytes(call) / nbytes)
        for call, record in zip(calls, times, strict=True)
    ]


def prepare(estimator, operation, X):
    """The zero-argument call that performs ``operation`` on X."""
    if operation == "fit":
        return partial(estimator.fit, X)
    if operation == "transform":
        estimator.fit(X)
        return partial(estimator.transform, X)
    if operation == "fit+transform":
        return lambda: estimator.fit(X).transform(X)
    raise ValueError(f"unknown operation {operation!r}")


def measure_references(X, repeats):
    """Median time and peak memory of one column sum and one copy of X."""
    out = np.empty_like(X)
    references = {
        "fit": ("X.sum(axis=0)", measure(partial(X.sum, axis=0), repeats, X.nbytes)),
        "transform": (
            "np.copyto(out, X)",
            measure(partial(np.copyto, out, X), repeats, X.nbytes),
        ),
    }
    (sum_name, (sum_s, sum_mem)), (copy_name, (copy_s, copy_mem)) = references.values()
    references["fit+transform"] = (
        f"{sum_name} + {copy_name}",
        (sum_s + copy_s, max(sum_mem, copy_mem)),
    )
    return references


def operations_for(case, X):
    operations = list(case.operations)
    if X.size <= FIT_TRANSFORM_MAX_ELEMENTS:
        operations.append("fit+transform")
    return operations


def bench_array(X, repeats, size_label):
    """Rows of every estimator and operation on X, plus its references."""
    n_samples, n_features = X.shape
    dtype = X.dtype.name
    references = measure_references(X, repeats)
    rows = []
    for case in CASES:
        for operation in operations_for(case, X):
            progress(f"{size_label} {dtype} {case.name}.{operation}")
            (ours, ours_mem), (theirs, theirs_mem) = measure_together(
                [
                    prepare(case.make_skscale(), operation, X),
                    prepare(case.make_sklearn(), operation, X),
                ],
                repeats,
                X.nbytes,
            )
            reference, (reference_s, _) = references[operation]
            rows.append(
                Row(
                    size=size_label,
                    n_samples=n_samples,
                    n_features=n_features,
                    dtype=dtype,
                    estimator=case.name,
                    operation=operation,
                    sklearn_counterpart=case.counterpart,
                    skscale_seconds=ours,
                    sklearn_seconds=theirs,
                    sklearn_over_skscale=theirs / ours,
                    reference=reference,
                    reference_seconds=reference_s,
                    skscale_over_reference=ours / reference_s,
                    skscale_peak_fraction=ours_mem,
                    sklearn_peak_fraction=theirs_mem,
                )
            )
    reference_rows = [
        {"size": size_label, "dtype": dtype, "operation": operation, "reference": name}
        | {"seconds": seconds, "peak_fraction": memory}
        for operation, (name, (seconds, memory)) in references.items()
    ]
    return rows, reference_rows


def arrays(shape, dtypes):
    """Yield (dtype, X) for each dtype: one float64 draw, cast for the others."""
    base = np.random.default_rng(SEED).standard_normal(shape)
    for dtype in dtypes:
        yield dtype, (base if dtype == "float64" else base.astype(dtype))


def run(shapes, dtypes, repeats):
    rows, references = [], []
    for shape in shapes:
        label = size_label(shape)
        n_repeats = repeats or default_repeats(shape)
        for _, X in arrays(shape, dtypes):
            array_rows, array_references = bench_array(X, n_repeats, label)
            rows.extend(array_rows)
            references.extend(array_references)
            del X
            gc.collect()
        gc.collect()
    return rows, references


def default_repeats(shape):
    elements = shape[0] * shape[1]
    if elements <= 100_000:
        return 7
    return 5


def progress(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info():
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skscale": skscale.__version__,
        "skscale_n_threads": skscale.get_config()["n_threads"],
        "load_average_at_start": load_average(),
    }


def load_average():
    """The 1, 5 and 15 minute load averages: other work on the machine skews times."""
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except OSError:  # not available on this platform
        return None


# ---------------------------------------------------------------- targets


def find(rows, shape, dtype, estimator, operation):
    for row in rows:
        if (
            (row.n_samples, row.n_features) == shape
            and row.dtype == dtype
            and row.estimator == estimator
            and row.operation == operation
        ):
            return row
    return None


def check(description, value, limit, *, at_least):
    if value is None:
        status = "NOT RUN"
    else:
        status = "PASS" if (value >= limit if at_least else value <= limit) else "FAIL"
    return {"target": description, "value": value, "limit": limit, "status": status}


def targets(rows):
    """Each stated target, checked on the rows it is about."""
    big = partial(find, rows, TARGET_SHAPE, TARGET_DTYPE)
    where = f"{size_label(TARGET_SHAPE)} {TARGET_DTYPE}"
    checks = []
    for estimator, operation, minimum in SPEED_TARGETS:
        row = big(estimator, operation)
        counterpart = next(c.counterpart for c in CASES if c.name == estimator)
        checks.append(
            check(
                f"{where}: {estimator}.{operation} >= {minimum}x faster than "
                f"sklearn {counterpart}",
                row and row.sklearn_over_skscale,
                minimum,
                at_least=True,
            )
        )
    minibatch, standard = (
        big("MiniBatchStandardizer", "fit"),
        big("StandardScaler", "fit"),
    )
    checks.append(
        check(
            f"{where}: MiniBatchStandardizer(batch_size={MINIBATCH_BATCH_SIZE}).fit "
            f"<= {MINIBATCH_OVER_STANDARD_MAX}x StandardScaler.fit time",
            minibatch and standard and minibatch_ratio(minibatch, standard),
            MINIBATCH_OVER_STANDARD_MAX,
            at_least=False,
        )
    )
    for operation, maximum in (
        ("fit", FIT_MEMORY_MAX),
        ("transform", TRANSFORM_MEMORY_MAX),
    ):
        for case in CASES:
            if operation in case.operations:
                row = big(case.name, operation)
                checks.append(
                    check(
                        f"{where}: {case.name}.{operation} peak extra memory "
                        f"<= {maximum} of the input",
                        row and row.skscale_peak_fraction,
                        maximum,
                        at_least=False,
                    )
                )
    for dtype in DTYPES:
        for case in CASES:
            row = find(rows, SMALL_SHAPE, dtype, case.name, "fit+transform")
            checks.append(
                check(
                    f"{size_label(SMALL_SHAPE)} {dtype}: {case.name} fit+transform "
                    f"time <= {SMALL_FIT_TRANSFORM_MAX}x sklearn's",
                    row and row.skscale_seconds / row.sklearn_seconds,
                    SMALL_FIT_TRANSFORM_MAX,
                    at_least=False,
                )
            )
    return checks


def minibatch_ratio(minibatch, standard):
    return minibatch.skscale_seconds / standard.skscale_seconds


def minibatch_ratios(rows):
    """MiniBatchStandardizer.fit time / skscale StandardScaler.fit, per array."""
    ratios = []
    for row in rows:
        if row.estimator == "MiniBatchStandardizer" and row.operation == "fit":
            shape = (row.n_samples, row.n_features)
            standard = find(rows, shape, row.dtype, "StandardScaler", "fit")
            if standard is not None:
                ratios.append(
                    {
                        "size": row.size,
                        "dtype": row.dtype,
                        "minibatch_fit_seconds": row.skscale_seconds,
                        "standard_scaler_fit_seconds": standard.skscale_seconds,
                        "ratio": minibatch_ratio(row, standard),
                    }
                )
    return ratios


# ---------------------------------------------------------------- output

COLUMNS = (
    ("size", "size"),
    ("dtype", "dtype"),
    ("estimator", "estimator"),
    ("operation", "operation"),
    ("sklearn counterpart", "sklearn_counterpart"),
    ("skscale (s)", "skscale_seconds"),
    ("sklearn (s)", "sklearn_seconds"),
    ("sklearn/skscale", "sklearn_over_skscale"),
    ("ref (s)", "reference_seconds"),
    ("skscale/ref", "skscale_over_reference"),
    ("skscale mem", "skscale_peak_fraction"),
    ("sklearn mem", "sklearn_peak_fraction"),
)
LEGEND = f"""\
(s): median seconds per call; sklearn/skscale: how many times faster skscale is.
ref (s): the physical reference on the same array: one X.sum(axis=0) for fit, one
  np.copyto(out, X) into a preallocated array for transform, both for fit+transform.
skscale/ref: skscale's time over the reference's.
mem: peak memory allocated during one call (tracemalloc) / X.nbytes; a transform's
  output (copy=True) is included, so ~1.0 is ideal there.
MeanNormalizationScaler has no scikit-learn counterpart: it is compared with the
  closest, StandardScaler (which also computes a mean).
MiniBatchStandardizer is MiniBatchStandardizer(batch_size={MINIBATCH_BATCH_SIZE})."""


def size_label(shape):
    return f"{shape[0]}x{shape[1]}"


def format_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}"


def format_row(row):
    cells = []
    for _, field in COLUMNS:
        value = getattr(row, field)
        if field.endswith("_over_skscale") or field.endswith("_over_reference"):
            cells.append(f"{value:.2f}")
        elif field.endswith("_peak_fraction"):
            cells.append(f"{value:.3f}")
        else:
            cells.append(format_value(value))
    return cells


def format_table(header, lines, *, left=5):
    """Aligned columns: the first ``left`` to the left, the others to the right."""
    widths = [
        max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))
    ]

    def join(cells):
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([join(header), rule, *(join(cells) for cells in lines)])


def report(machine, rows, ratios, checks, seconds):
    lines = ["Machine"]
    lines += [f"  {key}: {value}" for key, value in machine.items()]
    lines += [
        "",
        format_table([name for name, _ in COLUMNS], [format_row(r) for r in rows]),
    ]
    lines += ["", LEGEND, ""]
    lines += ["MiniBatchStandardizer.fit time / skscale StandardScaler.fit time"]
    lines += [
        f"  {ratio['size']} {ratio['dtype']}: {ratio['ratio']:.2f}x" for ratio in ratios
    ]
    lines += ["", "Targets"]
    for item in checks:
        value = "-" if item["value"] is None else f"{item['value']:.3g}"
        lines.append(f"  {item['status']:<7}  {item['target']}: {value}")
    counts = {
        s: sum(c["status"] == s for c in checks) for s in ("PASS", "FAIL", "NOT RUN")
    }
    lines.append("  " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    lines += ["", f"Total time: {seconds:.1f} s"]
    return "\n".join(lines)


def write_json(path, machine, settings, rows, references, ratios, checks, seconds):
    document = {
        "machine": machine,
        "settings": settings,
        "columns": {name: field for name, field in COLUMNS},
        "rows": [asdict(row) for row in rows],
        "references": references,
        "minibatch_fit_over_standard_scaler_fit": ratios,
        "targets": checks,
        "total_seconds": seconds,
    }
    with open(path, "w") as file:
        json.dump(document, file, indent=2)
        file.write("\n")


# ---------------------------------------------------------------- command line


def parse_size(text):
    if text in SIZES:
        return SIZES[text]
    rows, sep, columns = text.lower().partition("x")
    try:
        shape = (int(rows), int(columns))
    except ValueError:
        shape = None
    if not sep or shape is None or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"a size is {', '.join(SIZES)} or ROWSxCOLUMNS, got {text!r}"
        )
    return shape


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time skscale's estimators against scikit-learn's."
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sizes",
        nargs="+",
        type=parse_size,
        metavar="SIZE",
        help=f"{', '.join(SIZES)} or ROWSxCOLUMNS, e.g. 5000x8 (default: all three)",
    )
    which.add_argument(
        "--quick", action="store_true", help="only the small and medium sizes"
    )
    parser.add_argument(
        "--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES), metavar="DTYPE"
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        help="timed repeats per measurement (default: 7 small, 5 medium and large)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    return parser.parse_args(argv)


def unique(items):
    return list(dict.fromkeys(items))


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        shapes = [SIZES[name] for name in QUICK_SIZES]
    else:
        shapes = unique(args.sizes or SIZES.values())
    dtypes = unique(args.dtypes)
    machine = machine_info()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    start = time.perf_counter()
    rows, references = run(shapes, dtypes, args.repeats)
    seconds = time.perf_counter() - start
    ratios, checks = minibatch_ratios(rows), targets(rows)
    print(report(machine, rows, ratios, checks, seconds))
    if args.json:
        settings = {
            "sizes": [size_label(shape) for shape in shapes],
            "dtypes": dtypes,
            "repeats": args.repeats
            or {size_label(s): default_repeats(s) for s in shapes},
            "seed": SEED,
            "min_repeat_seconds": MIN_REPEAT_SECONDS,
            "started": started,
        }
        write_json(
            args.json, machine, settings, rows, references, ratios, checks, seconds
        )


if __name__ == "__main__":
    main()
