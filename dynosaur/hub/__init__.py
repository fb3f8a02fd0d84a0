"""The Dynosaur chain over the Hub's datasets, one package per stage: propose, filter, organize,
publish (with grow)."""
