"""Creators: profiles built from stored posts, credibility signals, and the watchlist."""
