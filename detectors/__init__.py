"""Pure detection code: data in, findings or scores out. No I/O here."""
