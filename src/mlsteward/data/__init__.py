"""Core computation for the data stage: profiles, PII detection, leakage review.

Pure functions: data frames and typed config in, pydantic results out. No store, no I/O.
"""
