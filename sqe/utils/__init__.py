"""Shared infrastructure: logging, atomic files, typed configs, stage entry points, provenance."""
