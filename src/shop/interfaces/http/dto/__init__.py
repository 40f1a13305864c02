"""msgspec shapes of request and response bodies: the HTTP contract, checked at the edge."""
