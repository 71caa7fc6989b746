"""The ground floor: what every room uses and nothing of the project's own (errors, the reporting month,
the rule parameters, instants, files, CSV text, progress, resources, where the assets are)."""
