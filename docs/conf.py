"""Sphinx configuration for the django-personal-access-tokens docs.

Built by ``.venv/bin/nox -s docs`` (strict: every warning is an error) into
``docs/_build/html``. The pages are Markdown (MyST); the theme is furo, from
its package: the built site loads nothing from another host.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django_pat import __version__  # noqa: E402 (after the path above)

project = "django-personal-access-tokens"
author = "The django-personal-access-tokens authors"
copyright = "the django-personal-access-tokens authors"
release = __version__
version = __version__

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
nitpicky = True

# Headings up to level 3 get anchors that links like [x](api.md#errors) reach.
myst_heading_anchors = 3
# ``{include}`` of README's install steps, and colon fences for admonitions.
myst_enable_extensions = ["colon_fence"]

html_theme = "furo"
html_title = "django-personal-access-tokens"
html_static_path: list[str] = []
# The source files are in the repository; no need to copy them into the site.
html_copy_source = False
html_show_sourcelink = False
highlight_language = "none"
