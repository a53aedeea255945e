"""Experiment tracking: runs with params, metrics, tags and artifacts."""
