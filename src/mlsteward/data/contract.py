"""Schema contracts: what a dataset version promises about its columns, and checking new data against it.

``infer_contract(df, name=...)`` reads a data frame and returns a ``DataContract``: per column the
pandas dtype, whether nulls are allowed, the observed range of numeric columns, the allowed values of
low-cardinality text and categorical columns, and uniqueness of identifier columns.
``check_contract(df, contract)`` validates new data against it and returns a ``ContractCheck``:
missing and new columns, dtype changes, and per column the violations grouped by kind. Distribution
shift is not checked here: that is ``mlsteward.monitor.drift``, and the workflow combines both.

This module is the public API; the rules are documented where they are applied:

* ``mlsteward.data.contract_model``: ``DataContract`` / ``ColumnContract``, the pandera schema they
  build, and the YAML format (``format_version: 1``).
* ``mlsteward.data.contract_infer``: what is inferred, per column.
* ``mlsteward.data.contract_check``: how a check runs and how each kind of violation is counted.
* ``mlsteward.data.contract_result``: ``ContractCheck`` and the violation models.
* ``mlsteward.data.contract_dtypes``: dtype families and the compatibility rule
  (``dtype_compatible``).
"""

from mlsteward.data.contract_check import EXAMPLES, TOP_UNSEEN, check_contract
from mlsteward.data.contract_dtypes import dtype_compatible
from mlsteward.data.contract_infer import IDENTIFIER_MIN_COUNT, infer_contract
from mlsteward.data.contract_model import (  # noqa: F401 - importable from here, as before the split
    FORMAT_VERSION,
    ColumnContract,
    DataContract,
    Number,
    Scalar,
)
from mlsteward.data.contract_result import (
    CheckError,
    ColumnViolations,
    ContractCheck,
    DtypeChange,
    DuplicateViolation,
    NullabilityViolation,
    Problem,
    RangeViolation,
    UnseenCategories,
    UnseenValue,
)

__all__ = [
    "EXAMPLES",
    "IDENTIFIER_MIN_COUNT",
    "TOP_UNSEEN",
    "CheckError",
    "ColumnContract",
    "ColumnViolations",
    "ContractCheck",
    "DataContract",
    "DtypeChange",
    "DuplicateViolation",
    "NullabilityViolation",
    "Problem",
    "RangeViolation",
    "UnseenCategories",
    "UnseenValue",
    "check_contract",
    "dtype_compatible",
    "infer_contract",
]
