"""NTM assistant: settings, command line and the application that wires the parts together."""
