"""Legal clocks of a case (L5, L6, L8, L13, L36): deadlines as data, their hooks, sweep and API."""
