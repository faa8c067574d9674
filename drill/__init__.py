"""drillkit: emergency contact trees (緊急時連絡網) and incident playbooks, drilled and timed."""

__all__ = ["__version__"]

__version__ = "0.1.0"
