"""Offline Data Docs: the GX views that render the Data Docs pages with sinkwatch's templates
(``expectations/docs_templates/``) ahead of Great Expectations' own.

GX 1.24's page templates load bootstrap, bootstrap-table, bootstrap-datepicker, font-awesome,
jQuery, popper and vega from public CDNs, take the logo from GX's web host and link
greatexpectations.io. The templates here override exactly those: the pages get a local ``<head>``
(a small inlined stylesheet in place of the CDN CSS, the icons as characters), no script at all,
the index's results as a plain HTML table, ``<details>`` for collapsed blocks and a CSS-only
"Failed Only" filter. Everything else (sections, tables, expectation rendering) is GX's.

GX itself imports this module when it builds Data Docs (the ``view`` entries of the site config in
:mod:`expectations.gx_context`), so importing GX here costs nothing extra.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES_DIR = Path(__file__).resolve().with_name("docs_templates")


def _templates_first(view: DefaultJinjaPageView) -> None:
    # GX appends custom_views_directory *after* its own templates, so it cannot override them:
    # put ours in front of GX's loader instead.
    view.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), view.env.loader])


class OfflinePageView(DefaultJinjaPageView):
    """Validation-result and expectation-suite pages without external resources."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        _templates_first(self)


class OfflineIndexPageView(DefaultJinjaIndexPageView):
    """The Data Docs index without external resources; its results table is plain HTML."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        _templates_first(self)
