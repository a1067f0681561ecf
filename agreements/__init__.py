"""agreements: drafting, e-signatures, PDFs, seals and judicial confirmation (issue 7)."""
