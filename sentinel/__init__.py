"""Sentinel: keeps personal data from leaking, unseen, to sub-processors."""

__version__ = "0.1.0"
