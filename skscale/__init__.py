"""skscale: exact, fast, scikit-learn-compatible feature scaling on one core."""

from ._array_api import to_namespace
from ._config import config_context, get_config, set_config
from ._functions import (
    layer_normalize,
    maxabs_scale,
    mean_normalize,
    minmax_scale,
    normalize,
    scale,
)
from ._layer_normalizer import LayerNormalizer
from ._max_abs_scaler import MaxAbsScaler
from ._mean_normalization_scaler import MeanNormalizationScaler
from ._min_max_scaler import MinMaxScaler
from ._minibatch_standardizer import MiniBatchStandardizer
from ._persistence import dump, from_dict, load, to_dict
from ._standard_scaler import StandardScaler
from ._unit_length_normalizer import UnitLengthNormalizer
from ._version import __version__ as __version__

__all__ = [
    "LayerNormalizer",
    "MaxAbsScaler",
    "MeanNormalizationScaler",
    "MinMaxScaler",
    "MiniBatchStandardizer",
    "StandardScaler",
    "UnitLengthNormalizer",
    "config_context",
    "dump",
    "from_dict",
    "get_config",
    "layer_normalize",
    "load",
    "maxabs_scale",
    "mean_normalize",
    "minmax_scale",
    "normalize",
    "scale",
    "set_config",
    "to_dict",
    "to_namespace",
]
