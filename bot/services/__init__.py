"""Use cases. Services own their transactions; handlers and jobs call them."""
