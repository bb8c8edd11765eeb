"""Channel adapters: each only translates between a provider's payloads and the engine."""
