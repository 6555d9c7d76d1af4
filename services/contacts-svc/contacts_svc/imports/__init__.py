"""CSV imports: upload, header mapping, validation per row, bulk merge, progress, error report."""
