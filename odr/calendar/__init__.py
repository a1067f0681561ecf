"""The rest-day calendar (statutory holidays and make-up working days) and L36 period arithmetic."""
