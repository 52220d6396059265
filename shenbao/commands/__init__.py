"""Command groups of the `shenbao` CLI, one module each."""
