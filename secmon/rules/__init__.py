"""Detection rules: model, loader, matcher, stateful detectors, engine, self-tests.

This package sees no files but rule YAML, no sockets and no databases; it
imports only secmon.events, secmon.errors and secmon.yamlsrc (and re2).
Import the pieces from their modules (`secmon.rules.loader.load_rules`,
`secmon.rules.engine.DetectionEngine`, ...); nothing is loaded on import.
"""
