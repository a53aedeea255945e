"""Quality SLAs: a dataset profile checked against the ``data.quality`` section of steward.yaml."""

from __future__ import annotations

import datetime as _dt

from pydantic import BaseModel

from mlsteward.data.profile import DatasetProfile
from mlsteward.spec_data import QualitySLA


class SLACheck(BaseModel):
    name: str
    required: str
    observed: float | None
    passed: bool | None  # None: could not be evaluated (the reason is in ``note``)
    note: str = ""


class QualityResult(BaseModel):
    checks: list[SLACheck]

    @property
    def passed(self) -> bool:
        """Every SLA that could be evaluated was met (and at least none failed)."""
        return all(c.passed is not False for c in self.checks)


def check_quality(profile: DatasetProfile, sla: QualitySLA, *, time_column: str | None = None,
                  now: _dt.datetime | None = None) -> QualityResult:
    """Evaluate each SLA that is set; completeness is the share of non-missing cells overall."""
    checks: list[SLACheck] = []
    cells = profile.rows * profile.columns
    if sla.min_completeness is not None:
        missing = sum(c.missing_count for c in profile.column_profiles)
        completeness = 1 - missing / cells if cells else 0.0
        checks.append(SLACheck(name="completeness", required=f">= {sla.min_completeness:g}",
                               observed=completeness, passed=completeness >= sla.min_completeness))
    if sla.max_duplicate_rate is not None:
        checks.append(SLACheck(name="duplicate_rate", required=f"<= {sla.max_duplicate_rate:g}",
                               observed=profile.duplicate_share,
                               passed=profile.duplicate_share <= sla.max_duplicate_rate))
    if sla.min_rows is not None:
        checks.append(SLACheck(name="min_rows", required=f">= {sla.min_rows:,}", observed=profile.rows,
                               passed=profile.rows >= sla.min_rows))
    if sla.max_rows is not None:
        checks.append(SLACheck(name="max_rows", required=f"<= {sla.max_rows:,}", observed=profile.rows,
                               passed=profile.rows <= sla.max_rows))
    if sla.max_age_days is not None:
        checks.append(_freshness(profile, sla.max_age_days, time_column, now or _dt.datetime.now(_dt.UTC)))
    return QualityResult(checks=checks)


def _freshness(profile: DatasetProfile, max_age_days: float, time_column: str | None,
               now: _dt.datetime) -> SLACheck:
    required = f"newest {time_column or 'time_column'} at most {max_age_days:g} days old"
    if time_column is None:
        return SLACheck(name="freshness", required=required, observed=None, passed=None,
                        note="set data.time_column in steward.yaml to check freshness")
    try:
        column = profile.column(time_column)
    except KeyError:
        return SLACheck(name="freshness", required=required, observed=None, passed=False,
                        note=f"the time column {time_column!r} is not in the data")
    newest = column.datetime.max if column.datetime else None
    if newest is None:
        return SLACheck(name="freshness", required=required, observed=None, passed=None,
                        note=f"{time_column!r} holds no dates ({column.inferred_type}); freshness needs dates")
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=_dt.UTC)
    age = (now - newest).total_seconds() / 86400
    return SLACheck(name="freshness", required=required, observed=age, passed=age <= max_age_days,
                    note=f"newest value {newest.isoformat()}")
