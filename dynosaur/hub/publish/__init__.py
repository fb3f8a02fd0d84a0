"""The publish stage: push a release (parquet shards, card, manifest) to a Hub dataset repo, and grow
it with what is new on the Hub."""
