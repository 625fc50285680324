"""Validation of rendered objects: the engine, strict schemas, CEL rules, addon payloads and size budgets."""
