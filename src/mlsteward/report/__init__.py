"""Reports: core results rendered to self-contained HTML pages with plotly charts.

Rendering reads nothing but the results it is given; each page inlines its CSS and the plotly.js
of the installed plotly package, so it opens offline. ``write_report`` saves a page atomically.
"""

from mlsteward.report._champion_challenger import render_champion_challenger
from mlsteward.report._data_report import render_data_report
from mlsteward.report._drift_report import render_drift_report
from mlsteward.report._feasibility_report import render_feasibility_report
from mlsteward.report._feature_dictionary import render_dictionary_html, render_dictionary_markdown
from mlsteward.report._html import write_report
from mlsteward.report._label_report import render_label_report
from mlsteward.report._labeling_curve import render_labeling_curve
from mlsteward.report._performance_report import render_performance_report
from mlsteward.report.model_card import render_model_card_html, render_model_card_markdown

__all__ = ["render_champion_challenger", "render_data_report", "render_dictionary_html", "render_dictionary_markdown", "render_drift_report",
           "render_feasibility_report", "render_label_report", "render_labeling_curve", "render_model_card_html", "render_model_card_markdown", "render_performance_report",
           "write_report"]
