"""Indicators, red flags and data quality, computed in SQL from the normalized layer (see ``catalogue``)."""
