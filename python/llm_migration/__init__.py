"""llm_migration: decide LLM model migrations from judge scores calibrated with human labels."""

__version__ = "0.3.0"
