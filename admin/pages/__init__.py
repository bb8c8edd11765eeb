"""One module per console section, each with its own router."""
