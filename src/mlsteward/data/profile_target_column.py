"""The target column of the data profile: its kind, its profile, and each feature's association.

Target and associations (rules in ``mlsteward.data.profile_target``): the target kind is
``binary`` with at most two distinct values; ``multiclass`` for a non-numeric target, or a numeric
one whose values are all whole numbers with at most ``target_max_classes`` distinct values;
``regression`` otherwise (``target_kind`` overrides). Class imbalance ratio = majority rows /
minority rows: below ``imbalance_moderate_ratio`` (1.5) nothing to do; from there to below
``imbalance_severe_ratio`` (10) class weights; from 10 on resampling, or class weights with a tuned
decision threshold. Associations are computed for numeric, categorical and boolean features (not
identifiers, text or datetimes) on all rows where both sides have a value.

The statistics themselves (associations, class balance, advice) are in
``mlsteward.data.profile_target``; this module applies them to the columns the profile has read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlsteward.data.profile_columns import _label, _Work
from mlsteward.data.profile_models import ProfileConfig
from mlsteward.data.profile_target import (
    TargetAssociation,
    TargetKind,
    TargetProfile,
    class_balance,
    correlation_ratio,
    cramers_v,
    finite_or_none,
    pearson,
    regression_advice,
)
from mlsteward.errors import InvalidInput


@dataclass
class _EncodedTarget:
    kind: TargetKind
    codes: np.ndarray | None = None  # classification
    n_codes: int = 0
    values: np.ndarray | None = None  # regression


def _profile_target(work: _Work, cfg: ProfileConfig) -> tuple[TargetProfile, _EncodedTarget]:
    p = work.profile
    if p.count == 0:
        raise InvalidInput(f"Target column '{p.name}' has no values (all {p.missing_count} rows are "
                           "missing); choose a target column with values.")
    if p.inferred_type == "datetime":
        raise InvalidInput(f"Target column '{p.name}' holds dates ({p.dtype}); a profile target must be "
                           "classes or numbers. Convert it (e.g. to a duration) or choose another.")
    numeric = work.values is not None
    kind = cfg.target_kind
    if kind == "auto":
        if p.distinct_count <= 2:
            kind = "binary"
        elif not numeric:
            kind = "multiclass"
        else:
            finite = work.values[np.isfinite(work.values)]
            whole = bool(np.all(finite == np.floor(finite)))
            kind = "multiclass" if whole and p.distinct_count <= cfg.target_max_classes else "regression"
    elif kind == "binary" and p.distinct_count > 2:
        raise InvalidInput(f"target_kind='binary' but target column '{p.name}' has "
                           f"{p.distinct_count} distinct values; use 'multiclass' or 'auto'.")
    elif kind == "regression" and not numeric:
        raise InvalidInput(f"target_kind='regression' but target column '{p.name}' is not numeric "
                           f"({p.dtype}); use 'multiclass' or 'auto', or convert it to numbers.")
    warnings = []
    if p.missing_count:
        warnings.append(f"{p.missing_count} rows ({p.missing_share:.1%}) have no target value; they "
                        "are left out of the target statistics and the associations.")
    if kind == "regression":
        stats = p.numeric
        skew = stats.skewness if stats else None
        advice = regression_advice(skew, stats.min if stats else None, cfg.skew_warning)
        if skew is not None and abs(skew) >= cfg.skew_warning:
            warnings.append(advice)
        profile = TargetProfile(
            name=p.name, kind=kind, count=p.count, missing_count=p.missing_count,
            recommendation_text=advice, warnings=warnings,
            **({} if stats is None else {"mean": stats.mean, "std": stats.std, "min": stats.min,
                                         "max": stats.max, "quantiles": stats.quantiles,
                                         "skewness": skew}),
        )
        return profile, _EncodedTarget(kind, values=work.values)
    if numeric:
        codes, uniques = pd.factorize(work.native, use_na_sentinel=True)
        labels = [_label(int(u) if work.integer else u) for u in uniques]
    else:
        codes, uniques = work.codes, work.uniques
        labels = [_label(u) for u in uniques]
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    classes, ratio, level, rec, text = class_balance(
        labels, counts,
        moderate_ratio=cfg.imbalance_moderate_ratio, severe_ratio=cfg.imbalance_severe_ratio)
    if len(classes) > cfg.target_max_classes:
        warnings.append(f"{len(classes)} classes: more than target_max_classes "
                        f"({cfg.target_max_classes}); is this the right target?")
    if level == "severe" or len(classes) < 2:
        warnings.append(text)
    profile = TargetProfile(name=p.name, kind=kind, count=p.count, missing_count=p.missing_count,
                            classes=classes, imbalance_ratio=ratio, imbalance=level,
                            recommendation=rec, recommendation_text=text, warnings=warnings)
    return profile, _EncodedTarget(kind, codes=codes, n_codes=len(uniques))


def _associate(work: _Work, target: _EncodedTarget) -> TargetAssociation | None:
    p = work.profile
    if p.inferred_type in ("identifier", "text", "datetime"):
        return None
    classification = target.kind != "regression"
    if work.values is not None:  # a numeric feature
        if classification:
            value, rows = correlation_ratio(target.codes, target.n_codes, work.values)
            method = "eta"
        else:
            value, rows = pearson(work.values, target.values)
            method = "pearson"
    elif classification:
        value, rows = cramers_v(work.codes, len(work.uniques), target.codes, target.n_codes)
        method = "cramers_v"
    else:
        value, rows = correlation_ratio(work.codes, len(work.uniques), target.values)
        method = "eta"
    return TargetAssociation(feature=p.name, method=method, value=finite_or_none(value), rows=rows)
