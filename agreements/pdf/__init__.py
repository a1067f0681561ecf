"""The agreement PDF: data (with the audited ID decryption), rendering, the seal,
PAdES signing; ``layout`` is the page template rulings and statements share."""
