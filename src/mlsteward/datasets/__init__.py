"""Real public data shipped inside the package, so demos and tests never download anything.

``gss_wages``: the General Social Survey wages extract (United States, 1974-2018), 61,697
respondents, from the R package *stevedata* (Steven V. Miller) as distributed by the
Rdatasets collection. Source, licence terms and the command that made the bundled file are in
``README.md`` beside this module; ``SOURCE`` records the versions and checksums.

Loading it (pandas is needed; nothing is fetched, only package data is read)::

    from mlsteward.datasets import load_gss_wages, gss_wages_with_target
    df = load_gss_wages()                 # 61,697 rows x 11 columns
    xy = gss_wages_with_target()          # 37,887 rows: features + ``high_income`` (0/1)

Columns and dtypes of :func:`load_gss_wages`:

=============  ===================  ======================================================
column         dtype                meaning
=============  ===================  ======================================================
year           int64                survey year (1974-2018; 30 waves, no NA)
realrinc       float64              respondent's base income, constant 1986 USD (NA 23,810)
age            float64              age in years, 18-89 (NA 219)
occ10          float64              2010 Census occupation code (NA 3,561) -- a *code*
occrecode      category             occ10 recoded to 11 main occupation groups
prestg10       float64              occupational prestige score, 2010 scale (16-80)
childs         float64              number of children, 0-8
wrkstat        category             work status (8 levels)
gender         category             Female / Male (no NA)
educcat        category, ordered    Less Than High School < High School < Junior College
                                    < Bachelor < Graduate
maritalcat     category             Married, Widowed, Divorced, Separated, Never Married
=============  ===================  ======================================================

Dtype choices: the five text columns are ``category`` with a *fixed* category list (the
same levels whatever subset is loaded or sampled, so encoders and profiles agree between a
training and a serving slice); only ``educcat`` is ordered. Numeric columns other than
``year`` are ``float64`` because they have missing values (R's ``NA`` is an empty field in
the file and ``NaN`` here). ``occ10`` stays numeric as in the source: census codes are
grouped in ranges by major occupation group, so tree models can split on it, but its mean
is meaningless -- profile or one-hot it via ``occrecode``. The Rdatasets ``rownames``
column (1..61697) is kept in the file but not returned: it is an ID that encodes survey
order (hence ``year``) and would leak into a model; row ``i`` of the frame is Rdatasets
row ``i + 1``.

Lifecycle demo -- recommended binary target, sensitive attributes, time column:

* **Target** ``high_income`` = ``realrinc > 20_000`` (constant 1986 USD; about the 59th
  percentile of reported incomes). Rows with no reported income (``realrinc`` NA: 23,810,
  mostly people not in paid work) have no label and are dropped, not counted as 0. On the
  37,887 labelled rows the positive rate is 40.9 % (15,511 rows): 54.2 % for men and
  27.4 % for women, between 30.8 % (1982) and 47.6 % (2018) by year. Because incomes are in
  constant dollars a fixed threshold means the same thing in every year, and the positive
  rate moving with the business cycle gives drift to monitor. ``realrinc`` itself must then
  be excluded from the features (the target is computed from it);
  :func:`gss_wages_with_target` does both.
* **Sensitive attributes**: ``gender`` (the dataset was assembled to show the gender pay
  gap) and ``age``; also treat ``maritalcat`` and ``childs`` (marital and family status)
  as sensitive, and note that ``occrecode``/``occ10``/``prestg10`` and ``wrkstat`` act as
  proxies for gender.
* **Time column**: ``year`` -- split train/test by year (e.g. train <= 2010, test >= 2012)
  rather than at random to show temporal drift.

Also here: ``load_dataset_docs``, 300 Rdatasets documentation pages as plain text (no pandas
needed), and ``qa_pairs``, question-answer pairs made from the facts they record (``docs.py``).
"""

from __future__ import annotations

import gzip
from importlib.resources import files
from typing import TYPE_CHECKING

from mlsteward.datasets.docs import DatasetDoc, QAPair, load_dataset_docs, qa_pairs
from mlsteward.datasets.reviews import REVIEW_LABELS, load_fine_food_reviews

if TYPE_CHECKING:  # pandas is needed only to load, not to import this module
    import pandas

__all__ = [
    "DatasetDoc",
    "GSS_WAGES_DEFAULT_THRESHOLD",
    "GSS_WAGES_DESCRIPTION",
    "GSS_WAGES_SENSITIVE_COLUMNS",
    "GSS_WAGES_TARGET",
    "GSS_WAGES_TIME_COLUMN",
    "QAPair",
    "REVIEW_LABELS",
    "describe_gss_wages",
    "gss_wages_with_target",
    "load_dataset_docs",
    "load_fine_food_reviews",
    "load_gss_wages",
    "qa_pairs",
]

_GSS_WAGES_FILE = "gss_wages.csv.gz"

GSS_WAGES_DESCRIPTION = (
    "The Gender Pay Gap in the General Social Survey: wage data from the General Social "
    "Survey (NORC at the University of Chicago), United States, 1974-2018, 61,697 "
    "respondents, to illustrate wage discrepancies by gender (while also considering "
    "respondent occupation, age, and education). From the R package stevedata by Steven V. "
    "Miller, via the Rdatasets collection (stevedata/gss_wages)."
)

GSS_WAGES_TARGET = "high_income"
GSS_WAGES_DEFAULT_THRESHOLD = 20_000.0
GSS_WAGES_TIME_COLUMN = "year"
GSS_WAGES_SENSITIVE_COLUMNS = ("gender", "age")

# Meanings from the stevedata documentation of gss_wages (rdatasets.descr), with the
# facts measured on the bundled file in brackets.
_COLUMNS: dict[str, str] = {
    "year": "the survey year [1974-2018, 30 survey waves]",
    "realrinc": "the respondent's base income (in constant 1986 USD) [missing for 23,810 rows]",
    "age": "the respondent's age in years [18-89]",
    "occ10": "respondent's occupation code (2010) [US Census occupation code; a code, not a quantity]",
    "occrecode": "recode of the occupation code into one of 11 main categories",
    "prestg10": "respondent's occupational prestige score (2010) [16-80]",
    "childs": "number of children (0-8)",
    "wrkstat": (
        "the work status of the respondent (full-time, part-time, temporarily not working, "
        "unemployed (laid off), retired, school, housekeeper, other)"
    ),
    "gender": "respondent's gender (male or female)",
    "educcat": (
        "respondent's degree level (Less Than High School, High School, Junior College, "
        "Bachelor, or Graduate)"
    ),
    "maritalcat": "respondent's marital status (Married, Widowed, Divorced, Separated, Never Married)",
}

_FLOAT_COLUMNS = ("realrinc", "age", "occ10", "prestg10", "childs")

# (levels, ordered): fixed so every load and every subset has the same categories.
_CATEGORIES: dict[str, tuple[tuple[str, ...], bool]] = {
    "occrecode": ((
        "Armed Forces",
        "Business/Finance",
        "Construction/Extraction",
        "Farming, Fishing, and Forestry",
        "Installation, Maintenance, and Repair",
        "Office and Administrative Support",
        "Production",
        "Professional",
        "Sales",
        "Service",
        "Transportation",
    ), False),
    "wrkstat": ((
        "Full-Time",
        "Part-Time",
        "Temporarily Not Working",
        "Unemployed, Laid Off",
        "Retired",
        "School",
        "Housekeeper",
        "Other",
    ), False),
    "gender": (("Female", "Male"), False),
    "educcat": (("Less Than High School", "High School", "Junior College", "Bachelor", "Graduate"), True),
    "maritalcat": (("Married", "Widowed", "Divorced", "Separated", "Never Married"), False),
}


def describe_gss_wages() -> dict[str, str]:
    """Column name -> meaning, in the column order of :func:`load_gss_wages`."""
    return dict(_COLUMNS)


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "mlsteward.datasets needs pandas to load data: pip install pandas"
        ) from exc
    return pandas


def load_gss_wages() -> pandas.DataFrame:
    """The bundled GSS wages extract: 61,697 rows, the 11 columns of :func:`describe_gss_wages`.

    Reads only the package's own ``gss_wages.csv.gz`` (via ``importlib.resources``); no
    network access. Dtypes: ``year`` int64; ``realrinc``, ``age``, ``occ10``, ``prestg10``,
    ``childs`` float64 (NaN where the source has NA); ``occrecode``, ``wrkstat``, ``gender``,
    ``maritalcat`` category; ``educcat`` ordered category. Categories are fixed lists, so a
    value outside them means a damaged file and raises ``ValueError``.

    Sensitive attributes: ``gender`` and ``age`` (also ``maritalcat``, ``childs``); time
    column: ``year``. See the module docstring for the recommended binary target.
    """
    pd = _pandas()
    dtypes: dict[str, object] = {"year": "int64"}
    dtypes.update({name: "float64" for name in _FLOAT_COLUMNS})
    dtypes.update({name: "category" for name in _CATEGORIES})
    resource = files(__name__).joinpath(_GSS_WAGES_FILE)
    with resource.open("rb") as raw, gzip.open(raw, "rb") as fh:
        df = pd.read_csv(
            fh,
            usecols=list(_COLUMNS),
            dtype=dtypes,
            keep_default_na=False,  # only an empty field is missing
            na_values=[""],
        )
    df = df[list(_COLUMNS)]
    for name, (levels, ordered) in _CATEGORIES.items():
        unknown = set(df[name].cat.categories) - set(levels)
        if unknown:
            raise ValueError(f"{_GSS_WAGES_FILE}: column {name!r} has unexpected values {sorted(unknown)}")
        df[name] = df[name].cat.set_categories(list(levels), ordered=ordered)
    return df


def gss_wages_with_target(threshold: float = GSS_WAGES_DEFAULT_THRESHOLD) -> pandas.DataFrame:
    """Labelled rows for a binary classifier: ``high_income`` = ``realrinc > threshold``.

    ``threshold`` is in constant 1986 USD. Rows whose ``realrinc`` is missing have no label
    and are dropped (37,887 rows remain); ``realrinc`` is removed so it cannot leak into the
    features. The result has the other 10 columns plus ``high_income`` (int8, 0/1) and a
    fresh ``RangeIndex``. With the default 20,000 the positive rate is 40.9 %.
    Sensitive attributes: ``gender``, ``age``; time column: ``year``.
    """
    df = load_gss_wages()
    df = df[df["realrinc"].notna()].reset_index(drop=True)
    df[GSS_WAGES_TARGET] = (df.pop("realrinc") > threshold).astype("int8")
    return df


def gss_label_events(threshold: float = GSS_WAGES_DEFAULT_THRESHOLD) -> pandas.DataFrame:
    """The labelled rows as events for the feature store: ``respondent_id`` (the row number) and
    ``interviewed_at`` (1 July of the survey year, UTC) added to :func:`gss_wages_with_target`."""
    pd = _pandas()
    df = gss_wages_with_target(threshold)
    df.insert(0, "respondent_id", range(1, len(df) + 1))
    df.insert(1, "interviewed_at", pd.to_datetime(df["year"].astype(str) + "-07-01", utc=True))
    return df


def gss_occupation_history(threshold: float = GSS_WAGES_DEFAULT_THRESHOLD) -> pandas.DataFrame:
    """A feature-view source keyed by occupation (``occ10``) and time, made from the labelled rows.

    One row per occupation and survey year, stamped ``as_of`` = 31 December of that year (UTC):
    ``occupation_respondents`` (labelled respondents in the occupation in all surveys up to and
    including that year) and ``occupation_high_income_rate`` (the share of them above the threshold).
    The values at a date use only the surveys before it, so a point-in-time join gives a respondent
    interviewed in July the rate as of the previous December: never their own label.
    """
    pd = _pandas()
    df = gss_wages_with_target(threshold).dropna(subset=["occ10"])
    yearly = (df.groupby(["occ10", "year"], observed=True)[GSS_WAGES_TARGET].agg(["size", "sum"])
              .sort_index().groupby(level="occ10").cumsum().reset_index())
    return pd.DataFrame({
        "occ10": yearly["occ10"].astype("int64"),
        "as_of": pd.to_datetime(yearly["year"].astype(str) + "-12-31", utc=True),
        "occupation_respondents": yearly["size"].astype("int64"),
        "occupation_high_income_rate": yearly["sum"] / yearly["size"],
    })
