"""The isoloir command line."""
