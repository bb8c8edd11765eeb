"""Local HTTP servers that speak the parts of the providers' APIs the product uses."""
