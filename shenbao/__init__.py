"""shenbao."""
