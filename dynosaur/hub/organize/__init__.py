"""The organize stage: materialize the valid tasks into ``instruction / input / output`` records."""
