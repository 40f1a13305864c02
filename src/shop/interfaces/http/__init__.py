"""The HTTP interface: a Litestar app whose controllers translate HTTP to bus messages."""
