"""kehoach: report forms and appendices for Vietnamese provincial plans."""

__version__ = "0.1.0"
