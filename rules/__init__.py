"""nncheck's built-in rule pack: one module per rule, in a folder per family.

Each module declares ``RULE = rule(...)`` with its documentation (the module's docstring),
options and every implementation; :func:`nncheck.registry.Registry.from_package` collects
them. Helpers shared by several rules live in :mod:`nncheck.rules.common`. Rules judge
framework-neutral facts and never import a framework.
"""
