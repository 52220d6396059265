"""Prefect flows and deployments: campaign timetables, deadline sweeps, yearly collections.

Flows are thin: they read what is due from the database, call the core, and commit. The database,
not a flow's memory, is the truth, so every flow can be re-run after a crash.
"""
