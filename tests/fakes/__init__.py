"""Local HTTP servers that speak the parts of the providers' APIs the product uses."""

# A deployment with a public (https) address must have its own keys (bot/keys.py); tests that
# play one use these.
DEPLOYMENT_KEYS = {
    "SECRET_KEY": "test deployment secret key, 32 bytes or more",
    "SURVEY_KEY": "test deployment survey key, 32 bytes or more",
}
