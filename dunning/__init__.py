"""dunning: plain-file receivables collection (催收) with limitation deadlines done right."""

__version__ = "0.1.0"
