"""Built-in plugins. The platform imports each sub-package as ``marketplace_builtins.<name>``."""
