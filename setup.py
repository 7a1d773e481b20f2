"""Build the optional compiled kernels; everything else is in pyproject.toml.

skscale._kernels fuses the statistics core's column reductions into one pass,
and the column scalers' fitted map into another. It is optional: where it
cannot be compiled (no C compiler), the install goes on without it and skscale
runs its pure-NumPy path, which gives the same statistics to rounding and the
same transforms bit for bit (tests/test_kernels.py). -ffp-contract=off keeps
each multiplication and addition rounded on its own, as NumPy's are.
"""

import sys

from setuptools import Extension, setup

flags = (
    []
    if sys.platform == "win32"
    else ["-O3", "-fno-strict-aliasing", "-ffp-contract=off"]
)

setup(
    ext_modules=[
        Extension(
            "skscale._kernels",
            sources=["skscale/_kernels.c"],
            extra_compile_args=flags,
            # hypot and sqrt of the row normalizers' pass.
            libraries=[] if sys.platform == "win32" else ["m"],
            optional=True,
        )
    ]
)
