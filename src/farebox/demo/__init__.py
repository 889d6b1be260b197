"""`farebox demo`: the whole paid request on one machine, narrated."""
