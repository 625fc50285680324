"""Policy rules, one module per rule; each module's docstring is that rule's user documentation.

Every module defines one rule class (`id`, `severity`, `summary`, `check(ctx)`) and a module-level
`RULE` instance. The registry in `fleetgen.policy` imports them explicitly.
"""
