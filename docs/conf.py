"""Sphinx configuration of the skscale documentation.

Build with ``make -C docs html`` (``sphinx-build -W --keep-going -b html docs
docs/_build/html``): warnings are errors, so a failing gallery example, a missing
reference, an undocumented parameter or attribute, or a public function or class
without an Examples section fails the build. Nothing is downloaded: there is no
intersphinx; references to scikit-learn are resolved to its web site offline.
"""

import contextlib
import importlib
import inspect
import io
import os
import tempfile
import warnings
from pathlib import Path

# The gallery's torch example turns scikit-learn's array API dispatch on, which
# needs SciPy's array API mode, set before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import skscale

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# -- project ----------------------------------------------------------------------

project = "skscale"
author = "the skscale developers"
copyright = "the skscale developers"
release = skscale.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# docs/persistence.md (the JSON schema of saved estimators) is not a page of its
# own: user_guide/persistence.md includes it.
exclude_patterns = ["_build", "_generated", "sg_execution_times.rst", "persistence.md"]
templates_path = ["_templates"]

# A reference to a Python object that does not exist is an error (with -W).
# References to scikit-learn go to its web site (see _sklearn_reference below);
# those to these other libraries are left as plain text, since there is no
# intersphinx (it would download their inventories).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|pandas|polars|scipy|dask|torch|array_api_strict)(\..*)?"),
]

# -- autodoc, autosummary, numpydoc ---------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"

numpydoc_show_class_members = True
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Every check of numpydoc runs on every docstring rendered (inherited
# scikit-learn methods included), except these, which scikit-learn's own
# conventions do not follow either:
#   GL01 (older numpydoc releases want the summary on the line after the opening
#   quotes; newer ones also accept the first line, as PEP 257 does),
#   ES01 no extended summary, SA01 no See Also section,
#   RT02 a named return (``self : object``),
#   YD01 no Yields section (config_context, a contextmanager, is documented as
#   a context manager),
#   EX01 no Examples section: not checked by numpydoc, because the methods
#   inherited from scikit-learn (set_output, get_params, ...) have none;
#   check_public_api below checks it on every public class and function, and
#   skscale's own methods all have one (run by pytest --doctest-modules).
numpydoc_validation_checks = {"all", "GL01", "ES01", "SA01", "RT02", "YD01", "EX01"}

# -- MyST --------------------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- sphinx-gallery ---------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Only plot_*.py files are gallery examples, and all of them are run; the
    # other scripts in examples/ are run by the test suite.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_)",
    "within_subsection_order": "FileNameSortKey",
    # Links from the examples' code to the API reference, and from each API
    # page to the examples that use it (its "minigallery").
    "doc_module": ("skscale",),
    "reference_url": {"skscale": None},
    "backreferences_dir": "gen_modules/backreferences",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 1,
    "download_all_examples": False,
    # An example that raises fails the build (sphinx-gallery's default).
    "only_warn_on_example_error": False,
}

# -- HTML ---------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skscale {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "getting_started": []}
html_static_path = []
html_show_sourcelink = False

# -- the API reference, generated from skscale.__all__ ----------------------------

# Sections of the API reference, by the private module a public name comes from.
# A public name from a module not listed here goes to "Other functions" (or
# "Other classes"), so that nothing in skscale.__all__ is ever left out.
API_SECTIONS = [
    (
        "Estimators",
        "Transformers with scikit-learn's API: the column scalers (each the "
        "affine map ``x -> (x - center_) / scale_`` of every feature) and the "
        "row normalizer.",
        lambda obj: (
            inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "transform")
        ),
    ),
    (
        "Functions",
        "The function form of each estimator, with scikit-learn's signatures "
        "where scikit-learn has the function: one call of the estimator's "
        "``fit_transform`` along an axis. All are documented on one page, "
        ":doc:`functions`.",
        lambda obj: getattr(obj, "__module__", "") == "skscale._functions",
    ),
    (
        "Persistence",
        "Saving and loading estimators as documented JSON; see "
        ":doc:`/user_guide/persistence`.",
        lambda obj: getattr(obj, "__module__", "") == "skscale._persistence",
    ),
    (
        "Array API",
        "Moving a fitted estimator to another array library or device; see "
        ":doc:`/user_guide/array_api`.",
        lambda obj: getattr(obj, "__module__", "") == "skscale._array_api",
    ),
    (
        "Configuration",
        "The number of threads of the kernels.",
        lambda obj: getattr(obj, "__module__", "") == "skscale._config",
    ),
    ("Other classes", "", inspect.isclass),
    ("Other functions", "", lambda obj: True),
]

API_HEADER = """\
:html_theme.sidebar_secondary.remove:

.. This file is generated by docs/conf.py from skscale.__all__: do not edit it.

.. _api:

API reference
=============

Every public name of skscale, as listed in ``skscale.__all__``. Import them from
the package itself (``from skscale import StandardScaler``): the modules whose
names start with an underscore are private.

.. currentmodule:: skscale
"""


def _api_sections():
    sections = {title: [] for title, _, _ in API_SECTIONS}
    for name in sorted(skscale.__all__):
        obj = getattr(skscale, name)
        for title, _, belongs in API_SECTIONS:
            if belongs(obj):
                sections[title].append(name)
                break
    return sections


# Sections documented together on one page of their own (api/<page>.rst) rather
# than one page per name.
API_PAGES = {"Functions": "functions"}

FUNCTIONS_HEADER = """\
.. This file is generated by docs/conf.py from skscale.__all__: do not edit it.

Functions
=========

The function form of each estimator: one call of its ``fit_transform``, with
scikit-learn's signature where scikit-learn has the function, so that swapping
the import is enough. ``axis`` picks the direction: a column scaler on
``axis=1`` runs on the transpose, scaling each sample across its features. The
result is an ndarray (or a sparse matrix) whatever ``set_output`` says, as
scikit-learn's functions return. For pipelines, cross-validation and new data,
use the estimators.

.. currentmodule:: skscale
"""


def _write_if_changed(path, text):
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_reference():
    """Write api/index.rst, one autosummary table per section, if it changed."""
    parts = [API_HEADER]
    sections = _api_sections()
    for title, description, _ in API_SECTIONS:
        names = sections[title]
        if not names:
            continue
        parts.append(f"\n{title}\n{'-' * len(title)}\n\n")
        if description:
            parts.append(f"{description}\n\n")
        page = API_PAGES.get(title)
        if page:
            # A table linking into the one page, which documents them all.
            parts.append(f".. toctree::\n   :hidden:\n\n   {page}\n\n")
            parts.append(".. autosummary::\n\n")
            body = "".join(
                f"\n{name}\n{'-' * len(name)}\n\n.. autofunction:: {name}\n"
                for name in names
            )
            _write_if_changed(DOCS / "api" / f"{page}.rst", FUNCTIONS_HEADER + body)
        else:
            classes = all(inspect.isclass(getattr(skscale, name)) for name in names)
            template = "class.rst" if classes else "function.rst"
            parts.append(
                f".. autosummary::\n   :toctree: generated/\n"
                f"   :template: autosummary/{template}\n\n"
            )
        parts.extend(f"   {name}\n" for name in names)
    _write_if_changed(DOCS / "api" / "index.rst", "".join(parts))


write_api_reference()

# -- the command line: --help texts and a session, from the command itself --------

CLI_COMMANDS = ("compare", "fit", "transform", "inspect")
CLI_DATA = """\
id,height,weight,city
1,1.62,55.0,Lyon
2,1.75,72.0,Oslo
3,1.80,80.0,Lyon
4,1.68,61.0,Porto
5,,66.0,Oslo
6,1.91,95.0,Porto
"""
CLI_SESSION = [
    "fit people.csv --scaler standard --columns height,weight -o scaler.json",
    "inspect scaler.json",
    "transform people.csv --scaler scaler.json -o scaled.csv",
]


def _run_cli(cli, args):
    """Run ``skscale ARGS``: its exit status and everything it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            status = cli.main(args)
        except SystemExit as exc:  # --help
            status = exc.code
    return status, buffer.getvalue()


def _write_if_changed(path, text):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_cli_pages():
    """Write _generated/cli_*.txt: each command's --help, and a session.

    Returns the problems met (a command that failed); the build reports them.
    """
    from skscale import _cli as cli

    out = DOCS / "_generated"
    out.mkdir(exist_ok=True)
    problems = []
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # the width argparse wraps the help to
    try:
        for command in ("", *CLI_COMMANDS):
            status, text = _run_cli(cli, [command, "--help"] if command else ["--help"])
            if status not in (0, None):
                problems.append(f"skscale {command} --help exited with {status}")
            _write_if_changed(out / f"cli_{command or 'skscale'}.txt", text)
        with tempfile.TemporaryDirectory() as folder:
            here = os.getcwd()
            os.chdir(folder)
            try:
                Path("people.csv").write_text(CLI_DATA, encoding="utf-8")
                lines = ["$ cat people.csv", CLI_DATA.rstrip()]
                for command in CLI_SESSION:
                    status, text = _run_cli(cli, command.split())
                    if status != 0:
                        problems.append(f"skscale {command} exited with {status}")
                    lines += [f"$ skscale {command}", text.rstrip()]
                if Path("scaled.csv").exists():
                    scaled = Path("scaled.csv").read_text(encoding="utf-8")
                    lines += ["$ cat scaled.csv", scaled.rstrip()]
            finally:
                os.chdir(here)
        _write_if_changed(
            out / "cli_session.txt", "\n".join(line for line in lines if line) + "\n"
        )
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return problems


CLI_PROBLEMS = write_cli_pages()


# -- checks beyond numpydoc's --------------------------------------------------------

# Public names whose docstring still lacks an Examples section. The build fails
# when a public class or function outside this set has none, and when a name in
# this set has gained one (then remove it from here).
EXAMPLES_MISSING = set()


def _small_frame():
    import pandas as pd

    return pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 3.0, -1.0]})


def check_public_api(app):
    """Every public name has an Examples section, every fitted attribute a line."""
    from numpydoc.docscrape import ClassDoc, FunctionDoc
    from sphinx.util import logging

    logger = logging.getLogger("skscale.docs")
    for problem in CLI_PROBLEMS:
        logger.warning(f"the command line page: {problem}")
    for name in sorted(skscale.__all__):
        obj = getattr(skscale, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
        has_examples = bool("".join(doc["Examples"]).strip())
        if not has_examples and name not in EXAMPLES_MISSING:
            logger.warning(f"skscale.{name}: the docstring has no Examples section")
        if has_examples and name in EXAMPLES_MISSING:
            logger.warning(
                f"skscale.{name} now has an Examples section: remove it from "
                "EXAMPLES_MISSING in docs/conf.py"
            )
        if not (inspect.isclass(obj) and hasattr(obj, "fit")):
            continue
        estimator = obj().fit(_small_frame())
        fitted = {
            key
            for key in vars(estimator)
            if key.endswith("_") and not key.startswith("_")
        }
        documented = {attribute.name for attribute in doc["Attributes"]}
        for key in sorted(fitted - documented):
            logger.warning(f"skscale.{name}: fitted attribute {key} is not documented")


# -- references to scikit-learn, resolved offline ----------------------------------

SKLEARN = "https://scikit-learn.org/stable/"
# Labels of scikit-learn's documentation used in its docstrings that skscale's
# estimators inherit.
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}


def _sklearn_page(target):
    """The URL of a scikit-learn object on scikit-learn's site, or None."""
    parts = target.lstrip("~.").split(".")
    if parts[0] != "sklearn":
        return None
    for k in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        if k == len(parts):
            return f"{SKLEARN}api/{module.__name__}.html"
        if not hasattr(module, parts[k]):
            return None
        # Each public class or function has a page; its methods are anchors.
        page = ".".join(parts[: k + 1])
        return f"{SKLEARN}modules/generated/{page}.html#{'.'.join(parts)}"
    return None


def _sklearn_reference(app, env, node, contnode):
    """Resolve references to scikit-learn (its objects, and the labels and glossary
    terms in the docstrings skscale's estimators inherit) to its web site."""
    from docutils import nodes

    domain, kind = node.get("refdomain"), node.get("reftype")
    target = node.get("reftarget", "")
    url = None
    if domain == "py":
        url = _sklearn_page(target)
    elif domain == "std" and ":docstring of sklearn." in (node.source or ""):
        if kind == "term":
            url = f"{SKLEARN}glossary.html#term-{target.replace(' ', '-')}"
        elif kind == "ref":
            # Another label of scikit-learn's guide: its search page finds it.
            url = SKLEARN + SKLEARN_LABELS.get(target, f"search.html?q={target}")
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("builder-inited", check_public_api)
    app.connect("missing-reference", _sklearn_reference)
