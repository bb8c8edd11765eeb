"""Runtime of the ethical-handcraft messaging platform: settings, store, engine, channels, CLI."""
