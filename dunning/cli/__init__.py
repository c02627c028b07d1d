"""The `dunning` command line: thin typer commands over the core modules."""
