"""Documents: rendering PDFs with WeasyPrint and sealing them with a PAdES signature."""
