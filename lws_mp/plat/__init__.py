"""The platform layer: MicroPython / CPython differences (_port), the viper
helpers, file ops on the flash filesystem, mime types."""
