"""Workflows: run a stage, record its evidence, evaluate its gate, write the audit trail."""
