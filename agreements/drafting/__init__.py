"""Drafting an agreement (issue 7 point 1): templates, pre-fill, versions, L15 checks, L18, L19."""
