"""Sphinx configuration of the workbook's static site (``make book``; see book/build.py).

The pages are the notebooks, executed beforehand by book/build.py (MyST-NB does not run them
again here), themed with sphinx-book-theme, which gives the sidebar and the previous / next
links at the foot of every page.
"""
import importlib.util

project = "seplib workbook"
author = "the seplib authors"
html_title = "seplib workbook"

extensions = ["myst_nb"]
# MathJax served with the book, so math renders offline too (a classroom without internet,
# headless screenshots); without the extension Sphinx loads MathJax from its CDN.
if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# book/build.py executed the notebooks (fresh kernel each, cwd notebooks/); never again here.
nb_execution_mode = "off"

# A static page has no kernel, so widgets cannot work there. Every output that carries a
# widget view also carries a plain fallback: the listening room a table of audio players
# (text/html), a progress bar its last line (text/plain). Render that fallback, and load no
# widget JavaScript from a CDN.
nb_mime_priority_overrides = [("*", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "show_prev_next": True,
}
html_last_updated_fmt = None
html_copy_source = False  # the executed .ipynb with embedded audio would double the site's size
html_show_sourcelink = False

exclude_patterns = ["_build", "**.ipynb_checkpoints", "players.json"]
# Notebooks jump from "#" to "###" in places; that is fine on a page.
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]
