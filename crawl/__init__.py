"""Dynosaur's Hub crawler: listing, cards, policy, viewer rows, incremental state, local Hub mirror."""
