"""Fakes of outside services the tests cannot reach. Each says so in its docstring."""
