"""handouts: printable patient drug handouts and wallet warning cards."""

__version__ = "0.1.0"
