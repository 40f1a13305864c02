"""Payment gateways."""
