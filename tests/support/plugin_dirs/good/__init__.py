"""Built-in-style plugins the platform tests load through PLUGINS_BUILTIN_DIR."""
