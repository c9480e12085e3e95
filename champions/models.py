"""Tables of the Digital Champions network (filled in by the champions issue)."""
