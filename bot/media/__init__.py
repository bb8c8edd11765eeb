"""Evidence files: the media store, the checks a file passes, fetching in the background."""
