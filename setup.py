"""Build the optional compiled kernels; everything else is in pyproject.toml.

skscale._kernels fuses the statistics core's column reductions into one pass.
It is optional: where it cannot be compiled (no C compiler), the install
goes on without it and skscale runs its pure-NumPy path, which gives the
same statistics to rounding (tests/test_kernels.py).
"""

import sys

from setuptools import Extension, setup

flags = [] if sys.platform == "win32" else ["-O3", "-fno-strict-aliasing"]

setup(
    ext_modules=[
        Extension(
            "skscale._kernels",
            sources=["skscale/_kernels.c"],
            extra_compile_args=flags,
            optional=True,
        )
    ]
)
