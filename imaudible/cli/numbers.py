"""The one parameter type for whole numbers on the command line (--jobs, --port, a take), worded for a curator:
click's own says '0 is not in the range 1<=x<=64.' and "'x' is not a valid integer range."."""
from __future__ import annotations

import click


class WholeNumber(click.IntRange):
    name = "number"

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"give a whole number from {self.min} to {self.max}, not '{value}'", param, ctx)

    def _describe_range(self) -> str:
        """Nothing: --help would show click's `[1<=x<=64]` after the option; its own text says the range."""
        return ""
