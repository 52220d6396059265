"""Routers per area of the web service."""
