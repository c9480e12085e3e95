"""Tables of device and data loans (filled in by the device-loans issue)."""
