"""One Router per concern, each built by a `setup()` factory."""
