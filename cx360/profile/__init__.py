"""Profiles: what cx360 knows of each customer, built from resolved records."""
