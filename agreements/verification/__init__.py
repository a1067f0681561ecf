"""Verification of signed PDFs and of printed verification codes (public)."""
