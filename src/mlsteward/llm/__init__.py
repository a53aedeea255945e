"""The LLM lifecycle's core: the application interface, sentence embeddings that run offline, and the checks
that judge answers (groundedness, relevance, similarity to a reference, refusals, toxicity, PII leakage).

Pure functions and small classes over text; ``mlsteward.lifecycle`` records what they find.
"""
