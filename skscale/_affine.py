"""The fitted map of a column scaler: one immutable object, applied block by block.

A fit builds an :class:`AffineMap` from the statistics and swaps it into the
estimator with a single assignment; ``transform`` and ``inverse_transform`` read
it once per call. A transform running while another thread fits therefore uses
the map from before or after an update, never a mix of the two.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._parallel import column_major, scratch

try:
    from . import _kernels
except ImportError:  # built without its optional compiled module
    _kernels = None

# The dtypes the compiled kernel reads and writes.
_FUSED = (np.dtype(np.float64), np.dtype(np.float32))

# Centers at least this large may make x - center overflow (see fitted_map).
_FAR_CENTER = 2.0**969


class Plan(NamedTuple):
    """What a column scaler derives from its statistics, per feature.

    Attributes
    ----------
    center, scale : ndarray
        ``x -> (x - center) / scale``, before zero scales become 1.
    residual : ndarray or None
        The exact mean's residual, where the center is the mean.
    onto : tuple of two floats or None
        ``(low, high)``: map onto that output interval (MinMaxScaler).
    clip : tuple of two floats or None
        Clip the output onto this interval.
    """

    center: np.ndarray
    scale: np.ndarray
    residual: np.ndarray | None = None
    onto: tuple | None = None
    clip: tuple | None = None


def fitted_map(plan, stats, *, notice=None, params=(), space=None):
    """The public ``(center, scale)`` and the :class:`AffineMap` of a plan.

    The one place where a zero scale (a constant feature) becomes 1. A
    feature never observed (``stats.count == 0``) gets NaN, so that it
    transforms to NaN. Ranges beyond float64 and centers near its end are
    taken in half units, so that no intermediate overflows where the output
    is finite.
    """
    observed = stats.count > 0
    center = np.where(observed, plan.center, np.nan)
    scale = plan.scale
    # A range beyond float64 (data near both of its ends) is not
    # representable: such features are scaled in halves of their units,
    # where the range and every intermediate value are finite.
    huge = observed & np.isinf(scale) & np.isfinite(center)
    if huge.any():
        half_range = 0.5 * stats.max - 0.5 * stats.min
        scale = np.where(huge, half_range, scale)
    scale = np.where(observed, np.where(scale == 0.0, 1.0, scale), np.nan)
    # x - center overflows for x near the other end of float64 when the
    # center is within a factor 2**54 of the largest float64, although the
    # output may be finite: those features are centred in half units too,
    # dividing by half the scale (exact: powers of two).
    with np.errstate(invalid="ignore"):
        far = observed & ~huge & (np.abs(center) >= _FAR_CENTER)
    halved = huge | far
    unit = np.where(halved, 0.5, 1.0) if halved.any() else None
    map_scale = scale if not far.any() else np.where(far, 0.5 * scale, scale)
    residual = plan.residual
    if residual is not None:
        # Only where it matters against the scale (see residual_matters).
        needed = residual_matters(residual, scale)
        if unit is not None:
            needed &= unit == 1.0
        residual = np.where(needed, residual, 0.0) if needed.any() else None
    low, high = plan.onto or (None, None)
    fitted = AffineMap(
        center=center,
        scale=map_scale,
        residual=residual,
        unit=unit,
        low=low,
        high=high,
        clip=plan.clip,
        notice=notice,
        params=params,
        space=space,
    )
    return center, scale, fitted


def residual_matters(residual, scale):
    """Where the mean's residual must be subtracted: ``|residual| > 2**-50 scale``.

    Elsewhere ``(x - mean) / scale`` is within ``8 eps (1 + |out|)`` of the
    exact ``(x - (mean + residual)) / scale`` as it is: leaving the residual
    out costs at most ``4 eps``, and the subtraction and the division round
    by at most ``eps |out|`` together. The residual is at most half an ulp of
    the mean, about ``2**-53 |mean|``, so features whose ``|mean|`` is below
    8 times their scale never pay a pass for it. False where NaN.
    """
    return np.abs(residual) > 2.0**-50 * scale


@dataclass(frozen=True, eq=False)
class AffineMap:
    """``x -> ((x - center - residual) / scale) * width + low``, clipped, per feature.

    Every array has shape ``(n_features,)`` and is never written after the map
    is built. The kernels (:meth:`forward`, :meth:`backward`) follow the block
    protocol of :func:`skscale._parallel.transform_blocks`: they read ``src``,
    write float64 ``dst`` (which may be ``src``) and get per-feature vectors
    through ``cols``.

    Attributes
    ----------
    center : ndarray or None
        Subtracted first; None when every center is +0.0 and no unit is set
        (subtracting it would change no bit).
    scale : ndarray
        The divisor.
    residual : ndarray or None
        Subtracted after the center, where the center is a mean whose float64
        rounding matters against the scale: the center and the residual
        together are the exact mean, so the output stays exact to rounding
        however large the mean is against the spread. Zero for the other
        features; None (no pass at all) when no feature needs it.
    unit : ndarray or None
        Where not None, features are centred in these units (0.5: half units,
        for ranges beyond float64), so that no intermediate overflows.
    low, high : float or None
        The map onto an output interval ``[low, high]`` (MinMaxScaler):
        multiply by ``high - low`` (skipped when 1) and add ``low``; None for
        no such map. Where ``high - low`` is beyond float64, in half units.
    clip : tuple of two floats or None
        Clip the output onto this interval.
    notice : str or None
        A warning that transform gives (features never observed), unless the
        fit that built the map gave it already.
    given : str or None
        The notice the fit gave already: a map derived anew from the same
        statistics (a parameter that only applies them changed) does not give
        it again.
    params : tuple
        The values of the estimator's parameters the map was derived with (its
        ``_applied_params`` then ``_learned_params``).
    space : skscale._array_api.Space or None
        The Array API namespace and device of the fit (None for NumPy), where
        :meth:`apply_namespace` computes.
    """

    center: np.ndarray | None
    scale: np.ndarray
    residual: np.ndarray | None = None
    unit: np.ndarray | None = None
    low: float | None = None
    high: float | None = None
    clip: tuple | None = None
    notice: str | None = None
    given: str | None = None
    params: tuple = ()
    space: object = None

    def __post_init__(self):
        center, unit = self.center, self.unit
        if (
            center is not None
            and unit is None
            and self.residual is None
            and not center.any()
            and not np.signbit(center).any()
        ):
            # x - (+0.0) is x, bit for bit, NaN and -0.0 included.
            object.__setattr__(self, "center", center := None)
        scaled = None if center is None or unit is None else center * unit
        object.__setattr__(self, "_scaled_center", scaled)
        # The output interval's width, or its half where the width is beyond
        # float64 (computed once, not per block).
        width = half = None
        if self.low is not None:
            width = self.high - self.low
            if not np.isfinite(width):
                width, half = None, 0.5 * self.high - 0.5 * self.low
        object.__setattr__(self, "_width", width)
        object.__setattr__(self, "_half_width", half)
        # The per-feature vectors on the fit's device, made at first use.
        object.__setattr__(self, "_on_device", None)

    def forward(self, src, dst, cols):
        """``dst = map(src)``."""
        if self.center is None:
            np.divide(src, cols(self.scale), out=dst)
        else:
            if self.unit is None:
                np.subtract(src, cols(self.center), out=dst)
            else:
                np.multiply(src, cols(self.unit), out=dst)
                np.subtract(dst, cols(self._scaled_center), out=dst)
            if self.residual is not None:
                np.subtract(dst, cols(self.residual), out=dst)
            np.divide(dst, cols(self.scale), out=dst)
        self._onto(dst)

    def _onto(self, dst, xp=np):
        """The map onto the output interval and the clip, in place in ``dst``.

        Returns the result (a new array where ``xp`` clips out of place).
        """
        if self._width is not None:
            if self._width != 1.0:
                # Multiplying by 1 changes no bit: skip that pass.
                dst *= self._width
            dst += self.low
        elif self._half_width is not None:
            # A width beyond float64: in half units, where nothing overflows
            # unless the output itself does.
            dst *= self._half_width
            dst += 0.5 * self.low
            dst *= 2.0
        if self.clip is not None:
            if xp is np:
                np.clip(dst, *self.clip, out=dst)
            else:
                dst = xp.clip(dst, *self.clip)
        return dst

    def backward(self, src, dst, cols):
        """``dst = inverse map(src)`` (the clip is not undone)."""
        if self._width is not None:
            np.subtract(src, self.low, out=dst)
            if self._width != 1.0:
                # Dividing by 1 changes no bit: skip that pass.
                dst /= self._width
            src = dst
        elif self._half_width is not None:
            np.multiply(src, 0.5, out=dst)
            dst -= 0.5 * self.low
            dst /= self._half_width
            src = dst
        np.multiply(src, cols(self.scale), out=dst)
        if self.center is None:
            return
        if self.residual is not None:
            np.add(dst, cols(self.residual), out=dst)
        if self.unit is None:
            np.add(dst, cols(self.center), out=dst)
        else:
            np.add(dst, cols(self._scaled_center), out=dst)
            np.divide(dst, cols(self.unit), out=dst)

    def fused(self, src_dtypes, dst_dtype, inverse=False):
        """The map as one compiled pass per block, or None where there is none.

        Returns ``kernel(src, dst, cols) -> bool``, which writes the map of
        ``src`` into ``dst`` and returns whether every value of ``src`` is
        finite. Each of the ``src_dtypes`` and ``dst_dtype`` is float64 or
        float32; the values are computed in float64 as :meth:`forward` and
        :meth:`backward` compute them, in the same order: the same bits. None
        without the compiled module, for other dtypes, and for maps in half
        units (ranges and centers beyond float64), which :meth:`forward` and
        :meth:`backward` keep.
        """
        if (
            _kernels is None
            or self.unit is not None
            or self._half_width is not None
            or not all(np.dtype(dtype) in _FUSED for dtype in src_dtypes)
            or np.dtype(dst_dtype) not in _FUSED
        ):
            return None
        a, b, mul, add, low, high = self._neutral_steps(inverse)
        scale = self.scale
        # The steps the map has: the others are left out of the kernel.
        centered = self.center is not None
        ranged = self._width is not None or (self.clip is not None and not inverse)
        steps = (mul, add, low, high, inverse)

        def kernel(src, dst, cols):
            vectors = cols(a), cols(b), cols(scale)
            # A line per column where columns are contiguous (a column-major
            # tile, a single column), else a line per row.
            if src.shape[0] > 1 and _lines(src.T) and _lines(dst.T):
                return _kernels.affine(
                    src.T, dst.T, *vectors, *steps, True, centered, ranged
                )
            if _lines(src) and _lines(dst):
                return _kernels.affine(
                    src, dst, *vectors, *steps, False, centered, ranged
                )
            # Neither rows nor columns contiguous: NumPy's path, in float64
            # (a narrower dst would round each step).
            finite = bool(np.isfinite(np.add.reduce(src, axis=None)))
            step = self.backward if inverse else self.forward
            if dst.dtype == np.float64:
                step(src, dst, cols)
            else:
                wide = _wide_copy("affine_wide", src)
                step(wide, wide, cols)
                dst[...] = wide
            return finite

        return kernel

    def _neutral_steps(self, inverse):
        """Every step of the compiled kernel, the absent ones as values that
        change no bit: ``x - (+0)``, ``x + (-0)``, ``x * 1``, a clip onto
        ``+-inf``.
        """
        # Subtracted (forward): +0 where absent; added (inverse): -0.
        absent = np.full(self.scale.shape, -0.0 if inverse else 0.0)
        a = absent if self.center is None else self.center
        b = absent if self.residual is None else self.residual
        width = 1.0 if self._width is None else self._width
        # Added (forward) or subtracted (inverse) after the scaling.
        neutral = 0.0 if inverse else -0.0
        add = neutral if self._width is None else self.low
        low, high = (-np.inf, np.inf) if self.clip is None else self.clip
        return a, b, width, add, low, high

    def apply_namespace(self, X, inverse=False):
        """The map (or its inverse) of X, in the namespace and on the device of
        :attr:`space`: the arithmetic of :meth:`forward` and :meth:`backward`,
        in the same order, in the device's widest float, a chunk of rows at a
        time; the output has X's float dtype.
        """
        from ._array_api import map_rows

        space = self.space
        vectors = self._on_device
        if vectors is None:
            vectors = {
                name: None if value is None else space.asarray(value)
                for name in ("center", "scale", "residual", "unit", "_scaled_center")
                for value in [getattr(self, name)]
            }
            object.__setattr__(self, "_on_device", vectors)
        wide = space.float_dtype()
        return map_rows(
            X, space, lambda rows: self._rows(rows, space.xp, wide, inverse, vectors)
        )

    def _rows(self, X, xp, wide, inverse, vectors):
        center, scale, residual = (vectors[k] for k in ("center", "scale", "residual"))
        unit, scaled = vectors["unit"], vectors["_scaled_center"]
        x = xp.astype(X, wide) if X.dtype != wide else X
        if not inverse:
            if center is None:
                y = x / scale
            else:
                y = x - center if unit is None else x * unit - scaled
                if residual is not None:
                    y -= residual
                y /= scale
            y = self._onto(y, xp)
        else:
            if self._width is not None:
                x = (x - self.low) / self._width
            elif self._half_width is not None:
                x = (x * 0.5 - 0.5 * self.low) / self._half_width
            y = x * scale
            if center is not None:
                if residual is not None:
                    y += residual
                if unit is None:
                    y += center
                else:
                    y = (y + scaled) / unit
        return xp.astype(y, X.dtype) if y.dtype != X.dtype else y

    def forward_values(self, values, columns):
        """The map of the stored values of a sparse matrix (no center)."""
        values /= self.scale[columns]
        self._onto(values)

    def backward_values(self, values, columns):
        """The inverse map of the stored values of a sparse matrix (no center)."""
        values *= self.scale[columns]


def scale_rows(src, dst, center, residual, scale):
    """``dst = ((src - center) - residual) / scale``, one value of each per row.

    ``center`` None for ``src / scale``. In one compiled pass where the kernel
    takes the blocks (float64 or float32, both with contiguous rows or both
    with contiguous columns), else in NumPy's steps; the same bits either way.
    """
    fused = _kernels is not None and src.dtype in _FUSED and dst.dtype in _FUSED
    # A line per row where rows are contiguous; else, where columns are, the
    # transposes, whose values within a line are the rows.
    per_line = fused and _lines(src) and _lines(dst)
    if per_line or (fused and _lines(src.T) and _lines(dst.T)):
        centered = center is not None
        if not centered:
            center = residual = np.zeros(src.shape[0])
        center = np.ascontiguousarray(center, dtype=np.float64)
        steps = (1.0, -0.0, -np.inf, np.inf, False, per_line, centered, False)
        if not per_line:
            src, dst = src.T, dst.T
        _kernels.affine(src, dst, center, residual, scale, *steps)
        return
    # In float64: a narrower dst would round each step.
    out = dst
    if dst.dtype != np.float64:
        order = "F" if column_major(dst) else "C"
        out = scratch("scale_rows_wide", dst.shape, order=order)
    with np.errstate(all="ignore"):
        if center is None:
            np.divide(src, scale[:, np.newaxis], out=out)
        else:
            np.subtract(src, center[:, np.newaxis], out=out)
            out -= residual[:, np.newaxis]
            out /= scale[:, np.newaxis]
    if out is not dst:
        dst[...] = out


def _wide_copy(name, block):
    """A float64 copy of a block, in the thread's scratch array ``name``."""
    wide = scratch(name, block.shape, order="F" if column_major(block) else "C")
    wide[...] = block
    return wide


def _lines(block):
    """Whether each row of a 2-D block holds contiguous values."""
    return block.shape[1] <= 1 or block.strides[1] == block.itemsize
