"""DINO: labelled datasets generated from task specs, with counter labels (self-debiasing).

``spec`` loads and validates task specs, ``inputs`` reads input texts for text-pair specs,
``generate`` asks an engine for the texts, ``postprocess`` filters them (each step counted) and
``run`` ties these together into the dataset and summary files.
"""
