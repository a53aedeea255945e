"""Reports: core results rendered to self-contained HTML pages with plotly charts.

Rendering reads nothing but the results it is given; each page inlines its CSS and the plotly.js
of the installed plotly package, so it opens offline. ``write_report`` saves a page atomically.
"""

from mlsteward.report._data_report import render_data_report
from mlsteward.report._feasibility_report import render_feasibility_report
from mlsteward.report._feature_dictionary import render_dictionary_html, render_dictionary_markdown
from mlsteward.report._html import write_report

__all__ = ["render_data_report", "render_dictionary_html", "render_dictionary_markdown", "render_feasibility_report",
           "write_report"]
