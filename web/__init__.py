"""The web service: each party at its own door (accounts, pages, /api/v1) over the same acts."""
